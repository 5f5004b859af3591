// `nnlab sweep <config.json|config.yaml>`: a grid or random search over `train`'s or a study's parameters, the
// points as units on either executor, one table and metric-vs-parameter figures at the end.
import { join, resolve } from 'node:path';

import { makePlan } from '../../scale/index.js';
import { timestamp } from '../../report/run-folder.js';
import { stderrLog } from '../../studies/shared/common.js';
import { defaultCpus } from '../../studies/shared/graph.js';
import { parseArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { executeGraph, GRAPH_FLAGS, GRAPH_USAGE, graphFlagsFrom, resumePlan, startFolder } from '../graph-run.js';
import { readSweepConfig, sweepRunner, sweepUnits } from '../sweep.js';

export const sweepCommand: Command = {
  name: 'sweep',
  usage: `nnlab sweep <config.json|config.yaml> [--out DIR [--force]] [--json] ${GRAPH_USAGE}
          config (JSON, or the same keys in YAML): {"target": "train"|<study>, "metric": "test_accuracy", "grid": {"lr": [1e-3, 1e-2]}} or
          "random": {"trials": 8, "seed": 0, "space": {"lr": {"logUniform": [1e-4, 1e-2]}, "batch": {"choice": [64, 128]}}}`,
  async run(argv) {
    const a = parseArgs(argv, { out: { type: 'string' }, force: { type: 'bool' }, json: { type: 'bool' }, ...GRAPH_FLAGS });
    const [file, ...extra] = a.positional;
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const f = graphFlagsFrom(a.flags);
    let run: string, plan;
    if (f.resume) ({ run, plan } = resumePlan('sweep', a.flags.out as string | undefined));
    else {
      if (!file) throw new UsageError('sweep: missing the config file');
      const c = readSweepConfig(file);
      run = resolve((a.flags.out as string | undefined) ?? join('runs', 'sweep', timestamp()));
      const units = sweepUnits(c).map((u) => ({
        ...u,
        resources: { ...u.resources, ...(f.unitCpus && { cpus: f.unitCpus }), ...(f.unitMemMB && { memMB: f.unitMemMB }) },
      }));
      plan = makePlan('sweep', { sweep: c, out: run }, units, { cpus: f.unitCpus ?? defaultCpus('quick'), memMB: 2000, gpu: false });
      if (!f.dryRun) startFolder(run, plan, a.flags.force === true);
    }
    const r = await executeGraph(run, plan, sweepRunner, f, `nnlab sweep ${file ?? ''}`.trim(), stderrLog);
    if (r.summary) {
      for (const [k, v] of Object.entries(r.summary.headline))
        console.log(`${k}: ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`);
      console.log(`run folder ${r.run}`);
      if (a.flags.json) console.log(JSON.stringify(r.summary));
    }
    return r.code;
  },
};
