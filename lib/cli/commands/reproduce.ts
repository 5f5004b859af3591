// `nnlab reproduce [--quick]`: every study's preset as one graph (units first, reduce steps after)
// and one static index.html linking every study's report.
import { join, resolve } from 'node:path';

import { timestamp } from '../../report/run-folder.js';
import { makePlan } from '../../scale/index.js';
import { stderrLog } from '../../studies/shared/common.js';
import { parseArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { executeGraph, GRAPH_FLAGS, GRAPH_USAGE, graphFlagsFrom, resumePlan, startFolder } from '../graph-run.js';
import { reproduceConfig, reproduceRunner, reproduceUnits } from '../reproduce.js';

export const reproduceCommand: Command = {
  name: 'reproduce',
  usage: `nnlab reproduce [--quick] [--only a,b] [--out DIR [--force]] ${GRAPH_USAGE}`,
  async run(argv) {
    const a = parseArgs(argv, {
      quick: { type: 'bool' },
      only: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'bool' },
      ...GRAPH_FLAGS,
    });
    if (a.positional.length) throw new UsageError(`unexpected argument '${a.positional[0]}'`);
    const f = graphFlagsFrom(a.flags);
    let run: string, plan;
    if (f.resume) ({ run, plan } = resumePlan('reproduce', a.flags.out as string | undefined));
    else {
      run = resolve((a.flags.out as string | undefined) ?? join('runs', 'reproduce', timestamp()));
      const only = a.flags.only === undefined ? undefined : (a.flags.only as string).split(',').filter((s) => s);
      const c = reproduceConfig(a.flags.quick ? 'quick' : 'full', run, only);
      const { units, reduce } = reproduceUnits(c);
      const withFlags = units.map((u) => ({
        ...u,
        resources: { ...u.resources, ...(f.unitCpus && { cpus: f.unitCpus }), ...(f.unitMemMB && { memMB: f.unitMemMB }) },
      }));
      plan = makePlan('reproduce', c as unknown as Record<string, unknown>, withFlags, {
        ...reduce,
        ...(f.unitCpus && { cpus: f.unitCpus }),
      });
      if (!f.dryRun) startFolder(run, plan, a.flags.force === true);
    }
    const r = await executeGraph(run, plan, reproduceRunner, f, 'nnlab reproduce', stderrLog);
    if (r.summary) for (const [k, v] of Object.entries(r.summary.headline)) console.log(`${k}: ${v}`);
    return r.code;
  },
};
