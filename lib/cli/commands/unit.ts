// `nnlab unit <run-folder> <unit-id>`: trains one unit of a planned run (what a Slurm array task or
// a local worker process runs); `--reduce` runs the study's reduce step over the finished units.
import { findUnit, readPlan, reduceHere, runUnitHere, UnitFailedError, unitLog } from '../../scale/index.js';
import { stderrLog } from '../../studies/shared/common.js';
import { parseArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { runnerForPlan } from '../graph-run.js';

export const unitCommand: Command = {
  name: 'unit',
  usage: `nnlab unit <run-folder> <unit-id> | --reduce   train one unit of a planned run (scale/plan.json), or run its reduce step`,
  async run(argv) {
    const a = parseArgs(argv, { reduce: { type: 'bool' } });
    const [run, id, ...extra] = a.positional;
    if (!run) throw new UsageError('unit: missing the run folder');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (!id && !a.flags.reduce) throw new UsageError('unit: give a unit id or --reduce');
    if (id && a.flags.reduce) throw new UsageError('unit: a unit id or --reduce, not both');
    const plan = readPlan(run);
    const runner = await runnerForPlan(plan);
    const dir = plan.config.out as string;
    if (a.flags.reduce) {
      const s = await reduceHere(dir, plan, runner, stderrLog);
      console.log(JSON.stringify(s));
      return 0;
    }
    const unit = findUnit(plan, id);
    try {
      const o = await runUnitHere(dir, plan, unit, runner, stderrLog, unitLog(dir, unit.id));
      console.log(JSON.stringify(o));
      return 0;
    } catch (e) {
      if (e instanceof UnitFailedError) {
        stderrLog(e.message);
        return 1;
      }
      throw e;
    }
  },
};
