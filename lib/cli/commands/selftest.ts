// `nnlab selftest`: checks a device against the CPU (every backend op, then a short training
// run) and prints a table, or the JSON report to attach to an issue. Exit 1 on any failure.
import { writeFileSync } from 'node:fs';

import { formatTable, runSelftest } from '../../selftest/index.js';
import { parseArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const selftestCommand: Command = {
  name: 'selftest',
  usage: `nnlab selftest [--device auto|cpu|cuda] [--json] [--out FILE] [--steps N] [--filter TEXT]
    every backend op on the device against the CPU, then a short training run; exit 1 on a failure`,
  async run(argv) {
    const a = parseArgs(argv, {
      device: { type: 'string', choices: ['auto', 'cpu', 'cuda'] },
      json: { type: 'bool' },
      out: { type: 'string' },
      steps: { type: 'int' },
      filter: { type: 'string' },
    });
    if (a.positional.length) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
    // auto: a real GPU when one answers, otherwise the CPU (checked against itself: the CPU's
    // own determinism and the training run).
    const device = (a.flags.device as 'auto' | 'cpu' | 'cuda' | undefined) ?? 'auto';
    const report = runSelftest({ device, steps: a.flags.steps as number | undefined, filter: a.flags.filter as string | undefined });
    const json = JSON.stringify(report, null, 2);
    if (a.flags.out) writeFileSync(a.flags.out as string, json + '\n');
    console.log(a.flags.json ? json : formatTable(report));
    if (a.flags.out && !a.flags.json) console.log(`report written to ${a.flags.out}`);
    return report.summary.pass ? 0 : 1;
  },
};
