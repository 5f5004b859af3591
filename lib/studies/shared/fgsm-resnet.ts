// The seed-000 ResNet18 members the `fgsm` study attacks (one member alone, and all of them as
// the Deep Ensembles ensemble). They come from resnet-members.ts: trained on the seed-000
// pipeline (32x32, its own normalisation, an 80/20 split) and, in the full preset, reused from
// the cache folder where other studies keep them. The pool trains or loads them once per run and
// owns them; the attack targets built on them are views that the pool disposes at the end.
import { ArgumentError } from '../../core/errors.js';
import type { Device } from '../../index.js';
import { defaultCacheDir, MembersConfig, seed000Members, TrainedMember } from './resnet-members.js';
import { loadResnetData } from '../../data/resnet-data.js';

export interface FgsmMembersConfig {
  /** Seeds and the training settings shared by every member (SEED000_MEMBERS in the full preset). */
  members: MembersConfig;
  /**
   * First-N official train images the members are trained on (quick preset); undefined = all
   * 60k, which the cached members need (their key includes the normalisation of the whole set).
   */
  trainLimit?: number;
  /** Reuse and keep members in the cache folder (NNLAB_CACHE_DIR); false = train in the run, keep nothing. */
  cache: boolean;
}

export interface MemberPool {
  members: TrainedMember[];
  /** Normalisation of the members' pipeline (the same for every member: one data set). */
  stats: { mean: number; std: number };
  /** Wall time to train or load them. */
  seconds: number;
  cacheDir: string | null;
}

/** The member with the lowest validation loss (the single ResNet18 of the study). */
export function bestMember(members: readonly TrainedMember[]): TrainedMember {
  if (!members.length) throw new ArgumentError('bestMember: no members');
  return members.reduce((b, m) => (m.meta.val.loss < b.meta.val.loss ? m : b));
}

export function checkMembersConfig(c: FgsmMembersConfig): void {
  if (!c.members.seeds.length) throw new ArgumentError('fgsm: members.seeds is empty');
  if (c.trainLimit !== undefined && !(Number.isInteger(c.trainLimit) && c.trainLimit > 0))
    throw new ArgumentError(`fgsm: members.trainLimit must be a positive integer, got ${c.trainLimit}`);
}

/**
 * Trains or loads the members on first use (never when no target needs them). The split seed is
 * the run's seed, as in every seed-000 study, so the full preset finds the shared cached members.
 */
export function memberPool(c: FgsmMembersConfig, o: { device: Device; seed: number; testLimit?: number; log: (s: string) => void }) {
  let pool: Promise<MemberPool> | null = null;
  const load = async (): Promise<MemberPool> => {
    const t0 = performance.now();
    const d = loadResnetData({ dataset: 'mnist', trainLimit: c.trainLimit, testLimit: o.testLimit, splitSeed: o.seed, device: o.device });
    try {
      const cacheDir = c.cache ? defaultCacheDir() : null;
      o.log(
        `ResNet18 members (seeds ${c.members.seeds.join(', ')}, ${c.members.train.epochs} epochs) on ${d.train.n} train images` +
          (cacheDir ? `, cache ${cacheDir}` : ', trained in this run'),
      );
      const members = await seed000Members(d, c.members, { device: o.device, cacheDir, log: o.log });
      return { members, stats: d.stats, seconds: (performance.now() - t0) / 1000, cacheDir };
    } finally {
      d.dispose();
    }
  };
  return {
    get: (): Promise<MemberPool> => (pool ??= load()),
    async dispose(): Promise<void> {
      if (!pool) return;
      const p = await pool.catch(() => null);
      p?.members.forEach((m) => m.model.dispose());
    },
  };
}

export type MemberPoolHandle = ReturnType<typeof memberPool>;
