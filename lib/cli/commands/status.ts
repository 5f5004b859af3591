// `nnlab status <run-folder>`: each unit's state (the folder's markers, then Slurm's view of its
// job) and the reduce step's; exit 0 when the run finished, 3 while it runs, 1 when it failed.
import { formatStatus, readPlan, runStatus } from '../../scale/index.js';
import { parseArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';

export const statusCommand: Command = {
  name: 'status',
  usage: `nnlab status <run-folder> [--json]   per-unit state of a run started with units (local or Slurm)`,
  async run(argv) {
    const a = parseArgs(argv, { json: { type: 'bool' } });
    const [run, ...extra] = a.positional;
    if (!run) throw new UsageError('status: missing the run folder');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const plan = readPlan(run);
    const s = runStatus(plan.config.out as string, plan);
    console.log(a.flags.json ? JSON.stringify(s) : formatStatus(s));
    if (s.reduce.state === 'done') return 0;
    const active = s.units.some((u) => u.state === 'running' || u.state === 'pending') || ['running', 'waiting'].includes(s.reduce.state);
    return active ? 3 : 1;
  },
};
