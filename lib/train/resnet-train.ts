// Training a seed-000 ResNet18 (the protocol of STUDIES.md, seed 000: Adam, weight decay,
// cross-entropy, validation after every epoch, the best-validation-loss weights kept) and the
// files other studies reuse: a trained model saved with its pipeline metadata and loaded back,
// and torchvision-named weights loaded as a pretrained backbone with a fresh classifier.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ArgumentError, IOError, ShapeError } from '../core/errors.js';
import * as io from '../io/index.js';
import * as nn from '../nn/index.js';
import * as ops from '../core/ops/index.js';
import * as optim from '../optim/index.js';
import { evaluate, fit } from './fit.js';
import { RandomGenerator } from '../core/random.js';
import { MetricsTracker } from './metrics-tracker.js';
import { noGrad } from '../core/autograd/engine.js';
import type { Device, Tensor } from '../core/tensor.js';
import type { EvalResult } from './fit.js';
import { loadWeights } from './checkpoint.js';
import type { EpochMetrics } from './metrics-tracker.js';
import { ResnetData, resnetLoader } from '../data/resnet-data.js';

export interface ResnetTrainConfig {
  /** Seeds the initialisation, the fc reset and the shuffling. */
  seed: number;
  init: nn.ResnetInit;
  epochs: number;
  batch: number;
  lr: number;
  weightDecay: number;
  shuffle: boolean;
  /** Anneal the learning rate to 0 by a cosine over the epochs (stepped after each epoch). */
  cosine?: boolean;
  /** Batch of the validation and test passes (memory only; no effect on the numbers). */
  evalBatch?: number;
  /** Start from these torchvision-named weights with a fresh fc instead of `init`. */
  weights?: string | null;
}

export const SEED000_TRAIN: Omit<ResnetTrainConfig, 'seed' | 'init' | 'shuffle'> = {
  epochs: 20,
  batch: 512,
  lr: 1e-4,
  weightDecay: 1e-4,
  evalBatch: 1000,
};

export interface TrainResnetOptions {
  device: Device;
  /** metrics.csv (after every epoch) and best.safetensors (at the end) go here; null = no files. */
  outDir?: string | null;
  log?: (line: string) => void;
  /** Recorded in the saved model's metadata. */
  label?: string;
  /**
   * Keep a checkpoint after every epoch in outDir/progress and continue from it when it exists
   * (same config only), so a long run that is stopped loses at most one epoch. The folder is
   * removed once best.safetensors is written; a finished run found there (same data and config)
   * is returned as it is, without training again.
   */
  resumable?: boolean;
  /** Called after each epoch's validation (and checkpoint, when resumable). */
  onEpoch?: (m: EpochMetrics) => void;
}

export interface TrainedResnet {
  /** The kept model: the weights of the epoch with the lowest validation loss, in eval mode. */
  model: nn.ResNet18;
  history: EpochMetrics[];
  bestEpoch: number;
  /** Validation and test loss / accuracy of the kept model. */
  val: EvalResult;
  test: EvalResult;
  secondsPerEpoch: number;
  imagesPerSecond: number;
  /** outDir/best.safetensors (the kept weights with ResnetMeta), or null without a folder. */
  weightsPath: string | null;
  meta: ResnetMeta;
}

/** What a saved seed-000 model records besides its weights (safetensors metadata 'nnlab_resnet'). */
export interface ResnetMeta {
  arch: 'resnet18';
  numClasses: number;
  dataset: string;
  /** The pipeline's normalisation (train part after resizing) and image size. */
  stats: { mean: number; std: number };
  size: number;
  splitSeed: number;
  train: ResnetTrainConfig;
  bestEpoch: number;
  val: EvalResult;
  test: EvalResult;
  label?: string;
  /** Every epoch's metrics (files written before this field existed lack it). */
  history?: EpochMetrics[];
}

/** Why a saved model does not come from training `c` on `d`, or null when it does. */
export function resnetMismatch(meta: ResnetMeta, d: ResnetData, c: ResnetTrainConfig): string | null {
  if (meta.dataset !== d.dataset) return `dataset ${meta.dataset} != ${d.dataset}`;
  if (meta.size !== d.size || meta.splitSeed !== d.splitSeed) return 'different image size or split seed';
  if (Math.abs(meta.stats.mean - d.stats.mean) > 1e-6 || Math.abs(meta.stats.std - d.stats.std) > 1e-6)
    return 'different normalisation (another data subset)';
  const keys: (keyof ResnetTrainConfig)[] = ['seed', 'init', 'epochs', 'batch', 'lr', 'weightDecay', 'shuffle', 'weights', 'cosine'];
  for (const k of keys) if ((meta.train[k] ?? null) !== (c[k] ?? null)) return `${k} ${String(meta.train[k])} != ${String(c[k])}`;
  return null;
}

/** Epoch (1-based) at which validation accuracy first reaches `threshold`, or null. */
export function epochsToReach(history: EpochMetrics[], threshold: number): number | null {
  const h = history.find((m) => (m.val_acc ?? -1) >= threshold);
  return h ? h.epoch : null;
}

function checkConfig(c: ResnetTrainConfig): void {
  for (const k of ['epochs', 'batch'] as const)
    if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new ArgumentError(`trainResnet: ${k} must be a positive integer, got ${c[k]}`);
  if (!(c.lr > 0)) throw new ArgumentError(`trainResnet: lr must be > 0, got ${c.lr}`);
  if (!(c.weightDecay >= 0)) throw new ArgumentError(`trainResnet: weightDecay must be >= 0, got ${c.weightDecay}`);
  if (!nn.RESNET_INITS.includes(c.init))
    throw new ArgumentError(`trainResnet: init must be one of ${nn.RESNET_INITS.join(', ')}, got '${c.init}'`);
}

/**
 * Loads torchvision-named weights (e.g. ImageNet ResNet18 weights the user converted to
 * safetensors) into every layer but fc, then gives the model a fresh fc (transfer learning).
 * Missing num_batches_tracked counters (older torchvision files) are allowed; any other missing
 * or unexpected key, or a shape that differs, is an error naming the file.
 */
export function loadBackbone(model: nn.ResNet, path: string, generator?: RandomGenerator): void {
  if (!existsSync(path)) throw new IOError(`weights file not found: ${path}`);
  const { tensors } = io.loadSafetensors(path);
  try {
    const own = model.stateDict();
    const isFc = (k: string) => k === 'fc.weight' || k === 'fc.bias';
    const missing = [...own.keys()].filter((k) => !isFc(k) && !tensors.has(k) && !k.endsWith('.num_batches_tracked'));
    const unexpected = [...tensors.keys()].filter((k) => !isFc(k) && !own.has(k));
    if (missing.length || unexpected.length)
      throw new ArgumentError(
        `${path} is not a torchvision ResNet18 state dict: missing keys [${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}], unexpected keys [${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ', ...' : ''}]`,
      );
    const body = new Map<string, Tensor>();
    for (const [k, t] of tensors) {
      if (isFc(k)) continue;
      const dst = own.get(k)!;
      if (t.shape.join() !== dst.shape.join())
        throw new ShapeError(
          `${path}: '${k}' has shape [${t.shape.join(', ')}] but ResNet18 (${model.conv1.inChannels} input channels) needs [${dst.shape.join(', ')}]`,
        );
      body.set(k, t);
    }
    model.loadStateDict(body, false);
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
  model.resetFc(model.numClasses, generator);
}

/** Saves a trained model's weights (PyTorch names) with its metadata. */
export function saveResnet(path: string, model: nn.ResNet18, meta: ResnetMeta): void {
  io.saveSafetensors(path, model.stateDict(), { nnlab_resnet: JSON.stringify(meta), arch: 'resnet18' });
}

/** Loads a model saved by saveResnet (or trainResnet's best.safetensors), in eval mode. */
export function loadResnet(path: string, device: Device = 'cpu'): { model: nn.ResNet18; meta: ResnetMeta } {
  if (!existsSync(path)) throw new IOError(`model file not found: ${path}`);
  const { tensors, metadata } = io.loadSafetensors(path);
  try {
    if (!metadata.nnlab_resnet)
      throw new IOError(
        `${path} has no 'nnlab_resnet' metadata: not a model saved by saveResnet (load plain torchvision weights with loadBackbone)`,
      );
    const meta = JSON.parse(metadata.nnlab_resnet) as ResnetMeta;
    const model = new nn.ResNet18({ numClasses: meta.numClasses, generator: new RandomGenerator(0) });
    model.loadStateDict(tensors);
    return { model: model.to(device).eval(), meta };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/**
 * The folder of a resumable run's per-epoch state, emptied first when it was left by a run with
 * another config (never resume into a different training).
 */
function progressDir(outDir: string, c: ResnetTrainConfig, log: (s: string) => void): string {
  const dir = join(outDir, 'progress');
  const configFile = join(dir, 'config.json');
  const want = JSON.stringify(c);
  if (existsSync(dir) && (!existsSync(configFile) || readFileSync(configFile, 'utf8') !== want)) {
    log(`${dir} was left by a run with another config; starting over`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(configFile, want);
  return dir;
}

/** The run finished earlier in `outDir` for the same data and config, or null. */
function finishedRun(outDir: string, d: ResnetData, c: ResnetTrainConfig, device: Device, log: (s: string) => void): TrainedResnet | null {
  const weightsPath = join(outDir, 'best.safetensors');
  if (!existsSync(weightsPath) || existsSync(join(outDir, 'progress'))) return null;
  const { model, meta } = loadResnet(weightsPath, device);
  const why = meta.history ? resnetMismatch(meta, d, c) : 'no recorded history';
  if (why) {
    model.dispose();
    log(`${weightsPath} is not this run (${why}); training again`);
    return null;
  }
  const history = meta.history!;
  new MetricsTracker(outDir).restore({ rows: history, bestValLoss: null, bestEpoch: meta.bestEpoch });
  const seconds = history.reduce((s, m) => s + m.seconds, 0) / Math.max(history.length, 1);
  log(
    `${weightsPath}: finished earlier (best epoch ${meta.bestEpoch}, test accuracy ${(100 * meta.test.acc).toFixed(2)}%); not trained again`,
  );
  return {
    model,
    history,
    bestEpoch: meta.bestEpoch,
    val: meta.val,
    test: meta.test,
    secondsPerEpoch: seconds,
    imagesPerSecond: seconds > 0 ? d.train.n / seconds : 0,
    weightsPath,
    meta,
  };
}

/** Trains a ResNet18 on a seed-000 data set and returns the best-validation-loss model. */
export async function trainResnet(d: ResnetData, c: ResnetTrainConfig, o: TrainResnetOptions): Promise<TrainedResnet> {
  checkConfig(c);
  const log = o.log ?? ((s: string) => process.stderr.write(s + '\n'));
  if (o.resumable && o.outDir) {
    const done = finishedRun(o.outDir, d, c, o.device, log);
    if (done) return done;
  }
  const generator = new RandomGenerator(c.seed);
  const model = new nn.ResNet18({ numClasses: 10, init: c.init, generator });
  const stateDir = o.resumable && o.outDir ? progressDir(o.outDir, c, log) : null;
  // Without a progress folder, the best epoch's weights are kept in memory and written once at the
  // end: fit's per-epoch files (best.safetensors ~45 MB on each improvement, checkpoint.safetensors
  // ~130 MB with Adam's state) would write gigabytes over a 20-epoch run that is never resumed.
  const best = new Map<string, Tensor>();
  try {
    if (c.weights) loadBackbone(model, c.weights, generator);
    model.to(o.device);
    const opt = new optim.Adam(model.parameters(), { lr: c.lr, weightDecay: c.weightDecay });
    const evalBatch = c.evalBatch ?? 1000;
    const train = resnetLoader(d.train, { batchSize: c.batch, shuffle: c.shuffle, seed: c.seed });
    const val = resnetLoader(d.val, { batchSize: evalBatch });
    const tracker = new MetricsTracker(o.outDir ?? null);
    const r = await fit(model, train, {
      epochs: c.epochs,
      optimizer: opt,
      val,
      outDir: stateDir,
      resume: stateDir !== null,
      log,
      generator,
      scheduler: c.cosine ? new optim.CosineAnnealingLR(opt, c.epochs) : undefined,
      onEpoch: (m) => {
        if (tracker.add(m) && !stateDir) {
          for (const [k, t] of model.stateDict()) {
            if (!best.has(k)) best.set(k, noGrad(() => ops.clone(t)).keep());
            else ops.copyInto(best.get(k)!, t);
          }
        }
        o.onEpoch?.(m);
      },
    });
    opt.dispose();
    // A resumed run's history starts before this call: fit's (restored) history is the whole run.
    if (stateDir) tracker.restore({ rows: r.history, bestValLoss: null, bestEpoch: r.bestEpoch });
    // The kept checkpoint: the epoch with the lowest validation loss (its validation numbers are
    // that epoch's: the same weights in eval mode give the same result).
    if (stateDir) loadWeights(join(stateDir, 'best.safetensors'), model);
    else model.loadStateDict(best);
    model.eval();
    const bestRow = tracker.rows.find((m) => m.epoch === tracker.bestEpoch)!;
    const vr: EvalResult = { loss: bestRow.val_loss!, acc: bestRow.val_acc!, n: d.val.n };
    const te = evaluate(model, resnetLoader(d.test, { batchSize: evalBatch }));
    const meta: ResnetMeta = {
      arch: 'resnet18',
      numClasses: 10,
      dataset: d.dataset,
      stats: d.stats,
      size: d.size,
      splitSeed: d.splitSeed,
      train: c,
      bestEpoch: tracker.bestEpoch,
      val: vr,
      test: te,
      ...(o.label && { label: o.label }),
      history: tracker.rows,
    };
    const weightsPath = o.outDir ? join(o.outDir, 'best.safetensors') : null;
    if (weightsPath) saveResnet(weightsPath, model, meta);
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    return {
      model,
      history: tracker.rows,
      bestEpoch: tracker.bestEpoch,
      val: vr,
      test: te,
      secondsPerEpoch: r.secondsPerEpoch,
      imagesPerSecond: r.imagesPerSecond,
      weightsPath,
      meta,
    };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const t of best.values()) t.dispose();
  }
}
