// The seed-000 ensemble studies as graphs: one unit per member (member-<seed>), trained into the
// unit's folder (or into the members cache when the run has one: NNLAB_CACHE_DIR / cacheDir), and
// the study's own evaluation as the reduce step over the trained members.
import { ArgumentError } from '../../core/errors.js';
import { manualSeed, resolveDevice } from '../../index.js';
import { loadResnetData } from '../../data/resnet-data.js';
import type { StudySummary } from '../../report/run-folder.js';
import type { UnitSpec } from '../../scale/index.js';
import { defaultCpus, StudyGraph } from './graph.js';
import type { RunHooks } from './common.js';
import { seed000Members } from './resnet-members.js';
import { checkSeed000, GivenMember, Seed000Config } from './seed000-run.js';

export function seed000Graph<C extends Seed000Config>(
  study: string,
  runStudy: (cfg: C, hooks: RunHooks, given: GivenMember[]) => Promise<StudySummary>,
): StudyGraph<C> {
  const memMB = (c: C) => (c.preset === 'quick' ? 2000 : 12000);
  return {
    units(c) {
      checkSeed000(c, study);
      const seeds = c.members === undefined ? c.seeds : c.seeds.slice(0, c.members);
      return seeds.map((seed): UnitSpec => ({
        id: `member-${seed}`,
        input: { seed },
        resources: { cpus: defaultCpus(c.preset), memMB: memMB(c), gpu: c.device === 'cuda' },
      }));
    },
    reduceResources: (c) => ({ cpus: defaultCpus(c.preset), memMB: memMB(c), gpu: c.device === 'cuda' }),
    async runUnit(c, unit, ctx) {
      const seed = unit.input.seed;
      if (typeof seed !== 'number') throw new ArgumentError(`${study} unit ${unit.id}: input.seed must be a number`);
      const device = resolveDevice(c.device, ctx.log);
      manualSeed(c.seed);
      const d = loadResnetData({ dataset: 'mnist', trainLimit: c.trainLimit, testLimit: c.testLimit, splitSeed: c.seed, device });
      try {
        const [m] = await seed000Members(
          d,
          { seeds: [seed], train: { ...c.memberTrain, epochs: c.epochs } },
          {
            device,
            cacheDir: c.cacheDir ?? null,
            ...(c.cacheDir === undefined && { folderOf: () => ctx.dir }),
            log: ctx.log,
            tag: c.trainLimit ? `first${c.trainLimit}` : undefined,
          },
        );
        m.model.dispose();
        return { seed, weights: m.path, cached: m.cached, test_acc: m.meta.test.acc, val_loss: m.meta.val.loss };
      } finally {
        d.dispose();
      }
    },
    reduce(c, ctx) {
      const given: GivenMember[] = [...ctx.outputs.values()].map((o) => ({
        seed: o.output.seed as number,
        path: o.output.weights as string,
        cached: o.output.cached as boolean,
      }));
      return runStudy(c, { log: ctx.log }, given);
    },
  };
}
