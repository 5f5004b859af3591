// The setup the seed-000 ensemble studies share (noise, ensemble-noise, ood, rotation): the run
// folder, the seed-000 MNIST pipeline, and the M ResNet18 members from the members cache
// (trained there once, by whichever study or scripts/train-members.mjs asks first). The single
// model every study compares against is the member with the lowest validation loss.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { ArgumentError } from '../../core/errors.js';
import { data, io, manualSeed, resolveDevice } from '../../index.js';
import type { Device } from '../../index.js';
import { METRIC_COLUMNS } from '../../train/metrics-tracker.js';
import { BaseConfig, checkLimits, FULL_PRESET, RunHooks, stderrLog } from './common.js';
import { loadResnetData, ResnetData } from '../../data/resnet-data.js';
import { defaultCacheDir, seed000Members, SEED000_MEMBERS, TrainedMember } from './resnet-members.js';
import { loadResnet } from '../../train/resnet-train.js';
import type { ResnetTrainConfig } from '../../train/resnet-train.js';
import { RunFolder } from '../../report/run-folder.js';

export interface Seed000Config extends BaseConfig {
  /** One ensemble member per seed. */
  seeds: number[];
  /** Use the first N seeds only (`--members N`): a smaller ensemble from the same cache. */
  members?: number;
  /** Training epochs of every member (`--epochs`; part of the cache key). */
  epochs: number;
  /** The other training settings of the members (SEED000_MEMBERS). */
  memberTrain: Omit<ResnetTrainConfig, 'seed' | 'epochs'>;
  /** Members cache; default defaultCacheDir() (NNLAB_CACHE_DIR, else runs/.cache). */
  cacheDir?: string;
  /** How many fixed test images the grids show (drawn once with the run seed). */
  shown: number;
  /** Images per forward pass when evaluating. */
  evalBatch: number;
}

const { epochs: MEMBER_EPOCHS, ...MEMBER_TRAIN } = SEED000_MEMBERS.train;

/** The full-preset fields every seed-000 ensemble study starts from. */
export const SEED000_RUN_FULL: Seed000Config = {
  ...FULL_PRESET,
  seeds: [...SEED000_MEMBERS.seeds],
  epochs: MEMBER_EPOCHS,
  memberTrain: MEMBER_TRAIN,
  shown: 20,
  evalBatch: 250,
};

// Quick: three members trained two epochs on 200 images (160 train / 40 validation) with a larger
// step, evaluated on 200 test images; enough to exercise every code path in seconds.
export const SEED000_RUN_QUICK: Seed000Config = {
  ...SEED000_RUN_FULL,
  preset: 'quick',
  trainLimit: 200,
  testLimit: 200,
  seeds: [0, 1, 2],
  epochs: 2,
  memberTrain: { ...MEMBER_TRAIN, batch: 16, lr: 1e-3, evalBatch: 200 },
  evalBatch: 200,
};

export interface Seed000Run {
  folder: RunFolder;
  device: Device;
  log: (line: string) => void;
  data: ResnetData;
  members: TrainedMember[];
  /** Index (into members) of the single model: the lowest validation loss. */
  single: number;
  /** The fixed test images of the grids (indices into data.test). */
  shown: Int32Array;
  dispose(): void;
}

/** Index of the member with the lowest validation loss (ties: the first). */
export function bestMember(members: readonly TrainedMember[]): number {
  let best = 0;
  members.forEach((m, i) => {
    if (m.meta.val.loss < members[best].meta.val.loss) best = i;
  });
  return best;
}

/** `count` test indices drawn without replacement by `seed` (the report's "random 20 images"). */
export function shownIndices(n: number, count: number, seed: number): Int32Array {
  if (!(Number.isInteger(count) && count > 0)) throw new ArgumentError(`shown must be a positive integer, got ${count}`);
  return data.shuffleOrder(n, seed, 0).slice(0, Math.min(count, n));
}

export function checkSeed000(c: Seed000Config, study: string): void {
  checkLimits(c);
  if (c.members !== undefined && !(Number.isInteger(c.members) && c.members >= 1 && c.members <= c.seeds.length))
    throw new ArgumentError(`${study}: members must be an integer in [1, ${c.seeds.length}] (the preset's seeds), got ${c.members}`);
  if (c.seeds.length === 0) throw new ArgumentError(`${study}: needs at least one member seed`);
  if (!(Number.isInteger(c.epochs) && c.epochs > 0))
    throw new ArgumentError(`${study}: epochs must be a positive integer, got ${c.epochs}`);
  if (!(Number.isInteger(c.evalBatch) && c.evalBatch > 0))
    throw new ArgumentError(`${study}: evalBatch must be a positive integer, got ${c.evalBatch}`);
}

/** A member a unit of the run's graph trained (or found cached): where its weights are. */
export interface GivenMember {
  seed: number;
  path: string;
  cached: boolean;
}

function loadGiven(given: GivenMember[], seeds: number[], device: Device, log: (s: string) => void): TrainedMember[] {
  const out: TrainedMember[] = [];
  try {
    for (const seed of seeds) {
      const g = given.find((m) => m.seed === seed);
      if (!g) throw new ArgumentError(`no trained member for seed ${seed} among the units' outputs`);
      const { model, meta } = loadResnet(g.path, device);
      log(`member seed ${seed}: ${g.path}`);
      out.push({ seed, model, meta, path: g.path, cached: g.cached });
    }
    return out;
  } catch (e) {
    for (const m of out) m.model.dispose();
    throw e;
  }
}

/** The members' own metrics.csv files (in the cache), one table with a `member_seed` column. */
function writeMemberMetrics(folder: RunFolder, members: TrainedMember[], log: (s: string) => void): string[] {
  const rows: (string | number)[][] = [];
  const sources: string[] = [];
  for (const m of members) {
    const csv = m.path ? join(dirname(m.path), 'metrics.csv') : null;
    if (!csv || !existsSync(csv)) {
      log(`member seed ${m.seed}: no metrics.csv next to its weights; left out of metrics.csv`);
      continue;
    }
    sources.push(csv);
    const [head, ...lines] = readFileSync(csv, 'utf8').trim().split('\n');
    const cols = head.split(',');
    for (const line of lines) {
      const v = line.split(',');
      rows.push([m.seed, ...METRIC_COLUMNS.map((c) => v[cols.indexOf(c)] ?? '')]);
    }
  }
  io.writeCsv(join(folder.dir, 'metrics.csv'), ['member_seed', ...METRIC_COLUMNS], rows);
  return sources;
}

/**
 * Creates the run folder, loads MNIST through the seed-000 pipeline and gets the members from
 * the cache (training the missing ones), writes config.json and metrics.csv (the members'
 * training curves, copied from the cache).
 */
export async function startSeed000(
  study: string,
  c: Seed000Config,
  hooks: RunHooks,
  extraConfig: Record<string, unknown> = {},
  given?: GivenMember[],
): Promise<Seed000Run> {
  checkSeed000(c, study);
  const log = hooks.log ?? stderrLog;
  // A graph's reduce step writes into the folder that already holds its units (resume).
  const folder = new RunFolder(study, c.out, given ? { resume: true } : { force: c.force });
  const device = resolveDevice(c.device, log);
  manualSeed(c.seed);
  const seeds = c.members === undefined ? c.seeds : c.seeds.slice(0, c.members);
  log(`nnlab run ${study} (${c.preset} preset): MNIST through the seed-000 pipeline, ${seeds.length} members x ${c.epochs} epochs`);
  const d = loadResnetData({ dataset: 'mnist', trainLimit: c.trainLimit, testLimit: c.testLimit, splitSeed: c.seed, device });
  let members: TrainedMember[] = [];
  try {
    const cacheDir = given ? (c.cacheDir ?? join(folder.dir, 'units')) : (c.cacheDir ?? defaultCacheDir());
    if (given) members = loadGiven(given, seeds, device, log);
    else
      members = await seed000Members(
        d,
        { seeds, train: { ...c.memberTrain, epochs: c.epochs } },
        {
          device,
          cacheDir,
          log,
          tag: c.trainLimit ? `first${c.trainLimit}` : undefined,
        },
      );
    const single = bestMember(members);
    const shown = shownIndices(d.test.n, c.shown, c.seed);
    const metricsFrom = writeMemberMetrics(folder, members, log);
    folder.writeConfig(
      {
        ...c,
        ...extraConfig,
        out: folder.dir,
        cacheDir,
        model: 'torchvision resnet18 layout, fc = Linear(512, 10)',
        members: members.map((m) => ({
          seed: m.seed,
          weights: m.path,
          from_cache: m.cached,
          best_epoch: m.meta.bestEpoch,
          val: m.meta.val,
          test: m.meta.test,
        })),
        single_model: `member seed ${members[single].seed} (lowest validation loss)`,
        ensemble: "mean of the members' softmax",
        metrics_csv: `the members' training curves, copied from ${metricsFrom.length ? metricsFrom.map((p) => dirname(p)).join(', ') : '(none found)'}`,
        shown_test_indices: Array.from(shown),
        data: {
          dataset: 'mnist',
          source: d.source,
          pipeline: 'uint8 -> [0,1] -> bilinear 28->32 -> normalised with the train part mean/std -> 3 channels by replication',
          split: `seeded 80/20 train/val split of the official train set (seed ${c.seed}); the official test set`,
          train_images: d.train.n,
          val_images: d.val.n,
          test_images: d.test.n,
          normalization: d.stats,
        },
      },
      device,
    );
    for (const m of members)
      log(
        `member seed ${m.seed}: test accuracy ${(100 * m.meta.test.acc).toFixed(2)}%, val loss ${m.meta.val.loss.toFixed(4)}${m.cached ? ' (cached)' : ''}`,
      );
    return {
      folder,
      device,
      log,
      data: d,
      members,
      single,
      shown,
      dispose() {
        for (const m of members) m.model.dispose();
        d.dispose();
      },
    };
  } catch (e) {
    for (const m of members) m.model.dispose();
    d.dispose();
    throw e;
  }
}
