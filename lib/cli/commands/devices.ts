// `nnlab devices`: which backends this process can use, and why not when it cannot.
import { deviceReport } from '../../core/device.js';
import { parseArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const devicesCommand: Command = {
  name: 'devices',
  usage: `nnlab devices [--json]`,
  async run(argv) {
    const a = parseArgs(argv, { json: { type: 'bool' } });
    if (a.positional.length) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
    const r = deviceReport();
    if (a.flags.json) console.log(JSON.stringify(r));
    else
      console.log(
        `cpu: available, ${r.cpu.threads} threads, ${r.cpu.isa.kernels} kernels\ncuda: ${r.cuda.available ? `available (${r.cuda.name})` : `unavailable: ${r.cuda.reason}`}\n` +
          `binary: ${r.binary.chosen} (${r.binary.reason}): ${r.binary.path}`,
      );
    return 0;
  },
};
