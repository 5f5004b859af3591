// `nnlab run <study>`: one study of STUDIES.md, its quick or full preset, into a run folder.
import { STUDIES } from '../../studies/index.js';
import { parseArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { GRAPH_FLAGS, GRAPH_USAGE, graphFlagsFrom, runGraph } from '../graph-run.js';
import type { StudySummary } from '../../report/run-folder.js';
import { stderrLog } from '../../studies/shared/common.js';

export const runCommand: Command = {
  name: 'run',
  usage: `nnlab run <${Object.keys(STUDIES).join('|')}> [--quick] [--out DIR [--force]] [--seed S] [--device auto|cpu|cuda] [--k K] [--json]
          [--weights FILE] [--epochs N] [--members N (seed-000 ensembles)] [--ood-dir DIR (ood: any IDX folder)]
          [--variants A,B (resnet-pretrain: which variants to train)]
          [--data-dir DIR (audio: a folder of [digit]_[speaker]_[index].wav, AudioMNIST layout)]
          studies with units (${Object.values(STUDIES)
            .filter((s) => s.graph)
            .map((s) => s.id)
            .join(', ')}): ${GRAPH_USAGE}`,
  async run(argv) {
    const a = parseArgs(argv, {
      quick: { type: 'bool' },
      out: { type: 'string' },
      seed: { type: 'int', min: 0 },
      device: { type: 'string', choices: ['auto', 'cpu', 'cuda'] },
      k: { type: 'int', min: 1 },
      weights: { type: 'string' },
      json: { type: 'bool' },
      epochs: { type: 'int', min: 1 },
      members: { type: 'int', min: 1 },
      'ood-dir': { type: 'string' },
      variants: { type: 'string' },
      'data-dir': { type: 'string' },
      force: { type: 'bool' },
      ...GRAPH_FLAGS,
    });
    const [id, ...extra] = a.positional;
    if (!id) throw new UsageError('run: missing study name');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const study = STUDIES[id];
    if (!study) throw new UsageError(`unknown study '${id}' (known: ${Object.keys(STUDIES).join(', ')})`);
    const f = a.flags;
    if (f.k !== undefined && !study.accepts.k) throw new UsageError(`--k does not apply to study '${id}'`);
    if (f.weights !== undefined && !study.accepts.weights) throw new UsageError(`--weights does not apply to study '${id}'`);
    if (f.epochs !== undefined && !study.accepts.epochs) throw new UsageError(`--epochs does not apply to study '${id}'`);
    if (f.members !== undefined && !study.accepts.members) throw new UsageError(`--members does not apply to study '${id}'`);
    if (f['ood-dir'] !== undefined && !study.accepts.oodDir) throw new UsageError(`--ood-dir does not apply to study '${id}'`);
    if (f.variants !== undefined && !study.accepts.variants) throw new UsageError(`--variants does not apply to study '${id}'`);
    if (f['data-dir'] !== undefined && !study.acceptsDataDir) throw new UsageError(`--data-dir does not apply to study '${id}'`);
    const cfg = {
      ...(f.quick ? study.quick : study.full),
      ...(f.out !== undefined && { out: f.out as string }),
      ...(f.force === true && { force: true }),
      ...(f.seed !== undefined && { seed: f.seed as number }),
      ...(f.device !== undefined && { device: f.device as 'auto' | 'cpu' | 'cuda' }),
      ...(f.k !== undefined && { k: f.k as number }),
      ...(f.weights !== undefined && { weights: f.weights as string }),
      ...(f.epochs !== undefined && { epochs: f.epochs as number }),
      ...(f.members !== undefined && { members: f.members as number }),
      ...(f['ood-dir'] !== undefined && { oodDir: f['ood-dir'] as string }),
      ...(f.variants !== undefined && { variants: (f.variants as string).split(',').filter((v) => v) }),
      ...(f['data-dir'] !== undefined && { dataDir: f['data-dir'] as string }),
    };
    const graphFlags = Object.keys(GRAPH_FLAGS);
    const given = graphFlags.filter((k) => f[k] !== undefined);
    if (!study.graph && given.length) throw new UsageError(`--${given[0]} needs a study with units; '${id}' runs in one process`);
    let s: StudySummary;
    if (study.graph) {
      const t0 = performance.now();
      const r = await runGraph(study, cfg, graphFlagsFrom(f), stderrLog);
      if (!r.summary) return r.code;
      s = { ...r.summary, seconds: (performance.now() - t0) / 1000 };
    } else s = await study.run(cfg);
    const fmt = (v: number | string) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v));
    for (const [k, v] of Object.entries(s.headline)) console.log(`${k}: ${fmt(v)}`);
    console.log(`run folder ${s.out} (${s.seconds.toFixed(1)} s)`);
    if (f.json) console.log(JSON.stringify(s));
    return 0;
  },
};
