// The seed-000 data pipeline (STUDIES.md, seed 000), shared by every ResNet18 study (pretrain,
// noise, ood, rotation, ensembles): MNIST-like 28x28 images scaled to [0, 1], resized to 32x32
// (bilinear, PyTorch's align_corners=False), an 80/20 seeded train/val split of the official train
// set, the official test set, every split normalised with the mean/std of the train part, and 3
// channels by replication.
//
// The splits hold ONE channel ([n, 1, 32, 32]); ResnetLoader replicates it to 3 per batch. The
// three channels are equal, so storing them would triple the memory (860 MB instead of 290 MB for
// MNIST) for nothing.
import { ArgumentError } from '../core/errors.js';
import * as data from './index.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import type { Device, Tensor } from '../core/tensor.js';
import type { MnistSplit } from './mnist.js';

/** One split: a MnistSplit (so testGrid and predictProbs take it) plus where its images came from. */
export interface ResnetSplit extends MnistSplit {
  /** Normalised float32 [n, 1, size, size] on the run's device (replicate to 3 channels per batch). */
  x: Tensor;
  /** Row of each image in the official split it was taken from (train and val: the train set). */
  indices: Int32Array;
}

export interface ResnetData {
  dataset: string;
  source: string;
  train: ResnetSplit;
  val: ResnetSplit;
  test: ResnetSplit;
  /** Mean and std of the train part after resizing (what every split is normalised with). */
  stats: data.NormStats;
  size: number;
  /** Channels the model sees (3: replicated). */
  channels: number;
  splitSeed: number;
  dispose(): void;
}

export interface ResnetDataOptions {
  /** 'mnist', 'fashion' or an IDX folder (see data.loadDataset). */
  dataset: string;
  dataDir?: string;
  /** First-N images of the official train / test sets (quick presets); undefined = all. */
  trainLimit?: number;
  testLimit?: number;
  /** Fraction of the (limited) train set held out for validation. */
  valFraction?: number;
  /** Seed of the train/val split. */
  splitSeed: number;
  size?: number;
  device: Device;
}

export const RESNET_IMAGE_SIZE = 32;
export const RESNET_CHANNELS = 3;
export const VAL_FRACTION = 0.2;

function pick(pixels: Uint8Array, labels: Int32Array, idx: Int32Array, pixelsPerImage: number) {
  const p = new Uint8Array(idx.length * pixelsPerImage),
    l = new Int32Array(idx.length);
  idx.forEach((r, i) => {
    p.set(pixels.subarray(r * pixelsPerImage, (r + 1) * pixelsPerImage), i * pixelsPerImage);
    l[i] = labels[r];
  });
  return { pixels: p, labels: l };
}

/** Loads a data set through the seed-000 pipeline. */
export function loadResnetData(o: ResnetDataOptions): ResnetData {
  const size = o.size ?? RESNET_IMAGE_SIZE,
    valFraction = o.valFraction ?? VAL_FRACTION;
  for (const [name, v] of [
    ['trainLimit', o.trainLimit],
    ['testLimit', o.testLimit],
  ] as const)
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      throw new ArgumentError(`loadResnetData: ${name} must be a positive integer, got ${v}`);
  if (!(valFraction > 0 && valFraction < 1)) throw new ArgumentError(`loadResnetData: valFraction must be in (0, 1), got ${valFraction}`);
  if (!(Number.isInteger(size) && size > 0)) throw new ArgumentError(`loadResnetData: size must be a positive integer, got ${size}`);
  const ds = data.loadDataset(o.dataset, o.dataDir);
  // Every tensor made here is disposed at the end unless a split holds it.
  const temps: Tensor[] = [ds.train.images, ds.train.labels, ds.test.images, ds.test.labels];
  const held = new Set<Tensor>();
  try {
    const first = (set: data.ImageSet, limit?: number) => {
      const n = limit ? Math.min(limit, set.images.shape[0]) : set.images.shape[0];
      const img = n < set.images.shape[0] ? data.rowsOf(set.images, 0, n) : set.images;
      const lab = n < set.labels.shape[0] ? data.rowsOf(set.labels, 0, n) : set.labels;
      // [n, 1, size, size] in [0, 1]
      const unit = tidy(() => data.resize(data.toUnitFloat(img), size, size)).keep();
      temps.push(img, lab, unit);
      return {
        n,
        unit,
        lab,
        pixels: img.data() as Uint8Array,
        labels: lab.data() as Int32Array,
        pixelsPerImage: img.shape[1] * img.shape[2],
      };
    };
    const tr = first(ds.train, o.trainLimit);
    const te = first(ds.test, o.testLimit);
    const nVal = Math.floor(tr.n * valFraction);
    if (nVal < 1 || tr.n - nVal < 1)
      throw new ArgumentError(`loadResnetData: ${tr.n} train images cannot be split ${1 - valFraction}/${valFraction}`);
    // A seeded permutation, split like torch.utils.data.random_split: each part keeps the permuted
    // order, so a loader without shuffling still sees a fixed, mixed order of classes.
    const order = data.shuffleOrder(tr.n, o.splitSeed, 0);
    const parts = [order.slice(0, tr.n - nVal), order.slice(tr.n - nVal)].map((idx) => {
      const d = data.subset({ x: tr.unit, y: tr.lab }, idx);
      temps.push(d.x, d.y);
      return { ...d, idx };
    });
    const stats = data.pixelStats(parts[0].x);
    const finish = (x: Tensor, y: Tensor, px: { pixels: Uint8Array; labels: Int32Array }, indices: Int32Array): ResnetSplit => {
      const xn = tidy(() => ops.to(data.normalize(x, stats), o.device)).keep();
      const yd = ops.to(y, o.device).keep(); // on the CPU this is y itself
      held.add(yd);
      return { x: xn, y: yd, pixels: px.pixels, labels: px.labels, n: indices.length, indices };
    };
    const [train, val] = parts.map((p) => finish(p.x, p.y, pick(tr.pixels, tr.labels, p.idx, tr.pixelsPerImage), p.idx));
    const test = finish(
      te.unit,
      te.lab,
      { pixels: te.pixels, labels: te.labels },
      Int32Array.from({ length: te.n }, (_, i) => i),
    );
    return {
      dataset: ds.name,
      source: ds.train.source,
      train,
      val,
      test,
      stats,
      size,
      channels: RESNET_CHANNELS,
      splitSeed: o.splitSeed,
      dispose() {
        for (const s of [train, val, test]) {
          s.x.dispose();
          s.y.dispose();
        }
      },
    };
  } finally {
    for (const t of temps) if (!held.has(t) && !t.disposed) t.dispose();
  }
}

/** [n, 1, H, W] -> the [n, 3, H, W] the ResNet takes (the channel repeated). */
export function toModelInput(x: Tensor): Tensor {
  return data.replicateChannels(x, RESNET_CHANNELS);
}

/** A DataLoader whose batches are replicated to the model's 3 channels as they are drawn. */
export class ResnetLoader extends data.DataLoader {
  override *batches(epoch = 0, from = 0): Generator<data.Batch> {
    for (const b of super.batches(epoch, from)) {
      const x = toModelInput(b.x);
      if (x !== b.x) b.x.dispose();
      yield { ...b, x };
    }
  }
}

/** A loader over a split: batches of 3-channel images and int32 labels. */
export function resnetLoader(split: ResnetSplit, o: data.LoaderOptions): ResnetLoader {
  return new ResnetLoader(data.tensorDataset(split.x, split.y), o);
}
