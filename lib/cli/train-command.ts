// `nnlab train`: trains the seed CNN (or the MLP) on MNIST, FashionMNIST or an IDX folder and
// leaves a run folder with config.json, metrics.csv, summary.json and the weights.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { resolveDevice } from '../core/device.js';
import { IOError, ShapeError } from '../core/errors.js';
import { claimRunFolder } from '../report/run-lock.js';
import { UsageError } from './args.js';
import { loadDataset } from '../data/datasets.js';
import { DataLoader, rowsOf, tensorDataset } from '../data/loader.js';
import { normalizedImages, pixelStats } from '../data/transforms.js';
import { numThreads } from '../core/device.js';
import { mlp, seedCnn } from '../models/seed-cnn.js';
import { Adam } from '../optim/adam.js';
import { WeightAverage } from '../optim/weight-average.js';
import { RandomGenerator, manualSeed } from '../core/random.js';
import { to } from '../core/ops/convert.js';
import { fit, evaluate } from '../train/fit.js';
import { saveWeights } from '../train/checkpoint.js';

export interface TrainConfig {
  model: 'cnn' | 'mlp';
  dataset: string;
  dataDir?: string;
  epochs: number;
  batch: number;
  lr: number;
  /** Decay of the weight average that is evaluated and saved (0: the trained weights themselves). */
  ema: number;
  seed: number;
  limit?: number;
  device: 'auto' | 'cpu' | 'cuda';
  out?: string;
}

export interface TrainSummary {
  /** Of the saved model: the weight average when `ema` > 0. */
  test_accuracy: number;
  test_loss: number;
  /** The last trained weights themselves (what PyTorch's plain loop would report), when `ema` > 0. */
  trained_weights?: { test_accuracy: number; test_loss: number };
  seconds_per_epoch: number;
  images_per_second: number;
  epochs: number;
  parameters: number;
  device: string;
  out: string;
}

export const TRAIN_DEFAULTS: TrainConfig = {
  model: 'cnn',
  dataset: 'mnist',
  epochs: 2,
  batch: 128,
  lr: 1e-3,
  ema: 0.998,
  seed: 0,
  device: 'auto',
};

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Flags that would change a run: with --resume they are refused (the run continues as it was configured). */
export const RESUME_CONFLICTS = ['model', 'dataset', 'data-dir', 'epochs', 'batch', 'lr', 'ema', 'seed', 'limit', 'out', 'force'] as const;

export function checkResumeFlags(flags: Record<string, unknown>): void {
  if (flags.resume === undefined) return;
  const given = RESUME_CONFLICTS.filter((f) => flags[f] !== undefined);
  if (given.length)
    throw new UsageError(
      `--resume continues a run with the settings in its config.json; it cannot be combined with ${given.map((f) => `--${f}`).join(', ')}`,
    );
}

/** The train settings of a run folder's config.json, refusing folders that are not `nnlab train` runs. */
function readTrainConfig(dir: string): TrainConfig {
  const p = join(dir, 'config.json');
  if (!existsSync(p)) throw new IOError(`--resume ${dir}: no config.json there (is it an nnlab train run folder?)`);
  let parsed: { command?: string; train?: TrainConfig; study?: string };
  try {
    parsed = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new IOError(`--resume ${dir}: config.json is corrupt (${(e as Error).message})`);
  }
  if (parsed?.command !== 'train' || typeof parsed.train !== 'object' || parsed.train === null)
    throw new IOError(
      `--resume ${dir}: not an nnlab train run folder${parsed?.study ? ` (it is a run of study '${parsed.study}', which cannot be resumed)` : ''}`,
    );
  // Runs from before the weight average was added did not keep one.
  return { ...TRAIN_DEFAULTS, ema: 0, ...(parsed.train as Partial<TrainConfig>), out: dir };
}

/**
 * The summary of a run that ran to the end (summary.json is written last), or null. Resuming such
 * a run has nothing to train: it reports the run's own figures instead of an empty epoch.
 */
function finishedSummary(dir: string): TrainSummary | null {
  const p = join(dir, 'summary.json');
  if (!existsSync(p)) return null;
  try {
    const s = JSON.parse(readFileSync(p, 'utf8')) as TrainSummary;
    return typeof s.test_accuracy === 'number' && typeof s.epochs === 'number' ? { ...s, out: dir } : null;
  } catch {
    return null; // a torn summary: train (resume from the checkpoint) and write it again
  }
}

export async function runTrain(
  cfg: TrainConfig,
  opts: { resumeDir?: string; force?: boolean; progress?: boolean; log?: (s: string) => void } = {},
): Promise<TrainSummary> {
  const log = opts.log ?? ((s: string) => process.stderr.write(s + '\n'));
  if (opts.resumeDir !== undefined) cfg = readTrainConfig(opts.resumeDir);
  const claim = claimRunFolder(opts.resumeDir ?? cfg.out ?? join('runs', 'train', timestamp()), {
    resume: opts.resumeDir !== undefined,
    force: opts.force,
  });
  try {
    const finished = opts.resumeDir !== undefined ? finishedSummary(claim.dir) : null;
    if (finished) {
      log(`${claim.dir} finished all ${finished.epochs} epochs already: nothing to train; its summary.json follows`);
      return finished;
    }
    return await trainInto(claim.dir, cfg, opts, log);
  } finally {
    claim.release();
  }
}

async function trainInto(
  out: string,
  cfg: TrainConfig,
  opts: { resumeDir?: string; progress?: boolean },
  log: (s: string) => void,
): Promise<TrainSummary> {
  const device = resolveDevice(cfg.device, log);
  manualSeed(cfg.seed);
  const gen = new RandomGenerator(cfg.seed);

  const data = loadDataset(cfg.dataset, cfg.dataDir);
  // Both models take 28x28 images: other sizes are refused now, not deep inside the first epoch.
  for (const split of [data.train, data.test])
    if (split.images.shape[1] !== 28 || split.images.shape[2] !== 28)
      throw new ShapeError(
        `${split.source}: images are ${split.images.shape[1]}x${split.images.shape[2]}, but the ${cfg.model} model takes 28x28 images`,
      );
  // The bytes go to normalised floats in one pass each (normalizedImages: the bits of
  // normalize(toUnitFloat(x))), with the statistics taken from the bytes too.
  let trainBytes = data.train.images;
  let trainY = data.train.labels;
  if (cfg.limit && cfg.limit < trainBytes.shape[0]) {
    trainBytes = rowsOf(trainBytes, 0, cfg.limit).keep();
    trainY = rowsOf(trainY, 0, cfg.limit).keep();
  }
  const stats = pixelStats(trainBytes);
  const xTrain = to(normalizedImages(trainBytes, stats), device).keep();
  const xTest = to(normalizedImages(data.test.images, stats), device).keep();
  const yTrain = to(trainY, device).keep(),
    yTest = to(data.test.labels, device).keep();

  const model = (cfg.model === 'mlp' ? mlp(gen) : seedCnn(gen)).to(device);
  const optimizer = new Adam(model.parameters(), { lr: cfg.lr });
  const average = cfg.ema > 0 ? new WeightAverage(model, cfg.ema) : undefined;
  const trainLoader = new DataLoader(tensorDataset(xTrain, yTrain), { batchSize: cfg.batch, shuffle: true, seed: cfg.seed });
  const testLoader = new DataLoader(tensorDataset(xTest, yTest), { batchSize: 1000 });

  writeFileSync(
    join(out, 'config.json'),
    JSON.stringify(
      {
        command: 'train',
        train: cfg,
        device,
        normalization: stats,
        dataset_source: data.train.source,
        validation: 'the official test split (no validation split is held out by nnlab train)',
        reported_weights:
          cfg.ema > 0
            ? `an exponential moving average of the weights (decay ${cfg.ema}, updated every step): validated every epoch and saved; summary.json also gives the last trained weights' test numbers`
            : 'the trained weights',
        versions: {
          nnlab: JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version,
          node: process.version,
        },
        threads: numThreads(),
      },
      null,
      2,
    ),
  );

  const result = await fit(model, trainLoader, {
    epochs: cfg.epochs,
    optimizer,
    val: testLoader,
    outDir: out,
    resume: !!opts.resumeDir,
    generator: gen,
    progress: opts.progress,
    log,
    config: cfg,
    average,
  });
  const trained = average ? evaluate(model, testLoader) : null;
  average?.copyToModel();
  // The last epoch validated the reported weights (the average when there is one) on the test
  // split already: nothing changed them since, so its figures are the test figures (a whole
  // pass over the test set saved; resumed runs restore the row from the checkpoint).
  const last = result.history.at(-1);
  const test =
    last && last.epoch === cfg.epochs && last.val_loss !== null && last.val_acc !== null
      ? { loss: last.val_loss, acc: last.val_acc }
      : evaluate(model, testLoader);
  saveWeights(join(out, 'model.safetensors'), model, { model: cfg.model, weights: average ? `average (ema ${cfg.ema})` : 'trained' });
  const summary: TrainSummary = {
    test_accuracy: test.acc,
    test_loss: test.loss,
    ...(trained && { trained_weights: { test_accuracy: trained.acc, test_loss: trained.loss } }),
    seconds_per_epoch: result.secondsPerEpoch,
    images_per_second: result.imagesPerSecond,
    epochs: cfg.epochs,
    parameters: model.numParameters(),
    device,
    out,
  };
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2));
  model.dispose();
  optimizer.dispose();
  average?.dispose();
  [trainBytes, xTrain, xTest, yTrain, yTest, data.train.images, data.train.labels, data.test.images, data.test.labels].forEach((t) =>
    t.dispose(),
  );
  return summary;
}
