// The seed-000 ResNet18 members every ensemble study shares (ensemble-noise, ood, rotation, fgsm):
// M models with the same hyper-parameters and different seeds, trained through trainResnet and
// kept in a cache folder so that one costly training serves all the studies. A cached member is
// reused only when its recorded pipeline and training settings equal the requested ones; anything
// else is retrained (never a silently different model).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ArgumentError } from '../../core/errors.js';
import type { Device } from '../../index.js';
import { nn } from '../../index.js';
import type { ResnetData } from '../../data/resnet-data.js';
import { waitForLock } from '../../report/run-lock.js';
import { loadResnet, ResnetMeta, resnetMismatch, ResnetTrainConfig, SEED000_TRAIN, trainResnet } from '../../train/resnet-train.js';

export interface MembersConfig {
  /** One member per seed (the seed drives initialisation and shuffling). */
  seeds: number[];
  /** Settings shared by every member. */
  train: Omit<ResnetTrainConfig, 'seed'>;
}

export interface MembersOptions {
  device: Device;
  /** Folder holding member-<seed>/best.safetensors; null trains without keeping files. */
  cacheDir: string | null;
  log?: (line: string) => void;
  /**
   * Part of the members' folder names (resnet18-<dataset>-<tag>-member-<seed>): members trained on
   * a subset (quick presets) get their own folders instead of replacing the full-data ones.
   */
  tag?: string;
  /** The folder of the member with this seed, instead of one under cacheDir (a unit's own folder in a run). */
  folderOf?: (seed: number) => string;
}

export interface TrainedMember {
  seed: number;
  model: nn.ResNet18;
  meta: ResnetMeta;
  /** Where the weights are kept (null without a cache). */
  path: string | null;
  /** True when the member came from the cache instead of being trained in this call. */
  cached: boolean;
}

/**
 * The report's ensemble: 7 members, the seed-000 protocol (Adam 1e-4, weight decay 1e-4, batch
 * 512, 20 epochs, best validation loss kept), torchvision's init, each member shuffled in its own
 * order. Studies may lower `epochs` (recorded in config.json and part of the cache key).
 */
export const SEED000_MEMBERS: MembersConfig = {
  seeds: [0, 1, 2, 3, 4, 5, 6],
  train: { ...SEED000_TRAIN, init: 'torchvision', shuffle: true },
};

/** Default cache folder: NNLAB_CACHE_DIR or runs/.cache under the working directory. */
export function defaultCacheDir(): string {
  return resolve(process.env.NNLAB_CACHE_DIR ?? join('runs', '.cache'));
}

/**
 * Trains (or loads from the cache) one ResNet18 per seed on `d`. The caller owns the returned
 * models (dispose them). Members are trained one after another: ResNet18 at batch 512 already
 * keeps every core busy, and each finished member is on disk before the next one starts.
 */
export async function seed000Members(d: ResnetData, c: MembersConfig, o: MembersOptions): Promise<TrainedMember[]> {
  if (c.seeds.length === 0) throw new ArgumentError('seed000Members: needs at least one seed');
  if (new Set(c.seeds).size !== c.seeds.length) throw new ArgumentError(`seed000Members: seeds must differ, got [${c.seeds.join(', ')}]`);
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  const out: TrainedMember[] = [];
  try {
    for (const seed of c.seeds) {
      const tc: ResnetTrainConfig = { ...c.train, seed };
      const dir = o.folderOf
        ? o.folderOf(seed)
        : o.cacheDir
          ? join(o.cacheDir, `resnet18-${d.dataset}${o.tag ? `-${o.tag}` : ''}-member-${seed}`)
          : null;
      const path = dir ? join(dir, 'best.safetensors') : null;
      // One process per member at a time: two studies sharing the cache would otherwise train
      // the same member into the same folder at once. The second waits, then finds it cached.
      const unlock = dir ? await waitForLock(dir, (pid) => log(`member seed ${seed}: process ${pid} is training it; waiting`)) : () => {};
      try {
        const got = path && existsSync(path) ? fromCache(path, seed, d, tc, o, log) : null;
        if (got) {
          out.push(got);
          continue;
        }
        log(`member seed ${seed}: training ${tc.epochs} epochs`);
        const t = await trainResnet(d, tc, { device: o.device, outDir: dir, log, label: `member-${seed}`, resumable: true });
        out.push({ seed, model: t.model, meta: t.meta, path: t.weightsPath, cached: false });
      } finally {
        unlock();
      }
    }
    return out;
  } catch (e) {
    for (const m of out) m.model.dispose();
    throw e;
  }
}

/** The cached member at `path` when it was trained with exactly these data and settings, else null. */
function fromCache(
  path: string,
  seed: number,
  d: ResnetData,
  tc: ResnetTrainConfig,
  o: MembersOptions,
  log: (s: string) => void,
): TrainedMember | null {
  const { model, meta } = loadResnet(path, o.device);
  const why = resnetMismatch(meta, d, tc);
  if (!why) {
    log(`member seed ${seed}: cached ${path} (test acc ${(100 * meta.test.acc).toFixed(2)}%)`);
    return { seed, model, meta, path, cached: true };
  }
  model.dispose();
  log(`member seed ${seed}: cached ${path} does not match (${why}); retraining`);
  return null;
}
