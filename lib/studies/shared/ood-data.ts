// Out-of-distribution inputs for a model trained through the seed-000 MNIST pipeline: another
// IDX data set (FashionMNIST by default, or any IDX folder such as KMNIST) and synthetic noise
// images, all resized to the pipeline's size and normalised with MNIST's statistics (what the
// model would do with them in deployment), as [N, 1, size, size] tensors.
import { basename, resolve } from 'node:path';

import { ArgumentError } from '../../core/errors.js';
import { data, RandomGenerator, ops, tidy } from '../../index.js';
import type { Device, Tensor } from '../../index.js';

export interface OodSet {
  name: string;
  description: string;
  /** Normalised with the in-distribution statistics, [N, 1, size, size]. */
  x: Tensor;
  /** The set's own labels (null for noise images). */
  labels: Int32Array | null;
  /** Label names for the grids, when known. */
  classNames?: string[];
}

export const FASHION_CLASSES = ['T-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'];

/** The first `limit` test images of an IDX data set ('fashion', 'mnist' or a folder) through the pipeline. */
export function loadOodDataset(o: {
  dataset: string;
  dir?: string;
  stats: data.NormStats;
  size: number;
  limit?: number;
  device: Device;
}): OodSet {
  if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0))
    throw new ArgumentError(`ood: limit must be a positive integer, got ${o.limit}`);
  const name = o.dir ? basename(resolve(o.dir)) : o.dataset;
  const ds = o.dir ? data.loadDataset(name, o.dir) : data.loadDataset(o.dataset);
  try {
    const n = Math.min(o.limit ?? ds.test.images.shape[0], ds.test.images.shape[0]);
    const x = tidy(() => {
      const img = n < ds.test.images.shape[0] ? data.rowsOf(ds.test.images, 0, n) : ds.test.images;
      return ops.to(data.normalize(data.resize(data.toUnitFloat(img), o.size, o.size), o.stats), o.device).keep();
    });
    const labels = Int32Array.from((ds.test.labels.data() as Int32Array).subarray(0, n));
    return {
      name,
      x,
      labels,
      ...(name === 'fashion' && !o.dir && { classNames: FASHION_CLASSES }),
      description: `${n} test images of ${o.dir ?? o.dataset} (${ds.test.source}), resized to ${o.size}x${o.size}, normalised with the MNIST statistics`,
    };
  } finally {
    for (const t of [ds.train.images, ds.train.labels, ds.test.images, ds.test.labels]) t.dispose();
  }
}

/**
 * Synthetic images: 'uniform' pixels ~ U[0, 1]; 'gaussian' pixels ~ N(mean, std) of the
 * in-distribution train set, clipped to [0, 1] (noise with the digits' brightness and contrast).
 */
export function noiseImages(
  kind: 'uniform' | 'gaussian',
  o: { n: number; size: number; stats: data.NormStats; seed: number; device: Device },
): OodSet {
  if (!(Number.isInteger(o.n) && o.n > 0))
    throw new ArgumentError(`ood: the number of noise images must be a positive integer, got ${o.n}`);
  const generator = new RandomGenerator(o.seed);
  const shape = [o.n, 1, o.size, o.size];
  const x = tidy(() => {
    const px =
      kind === 'uniform'
        ? ops.rand(shape, { generator, device: o.device })
        : ops.clamp(ops.normal(shape, o.stats.mean, o.stats.std, { generator, device: o.device }), 0, 1);
    return data.normalize(px, o.stats).keep();
  });
  return {
    name: `${kind}-noise`,
    x,
    labels: null,
    description:
      kind === 'uniform'
        ? `${o.n} images of uniform noise, pixels ~ U[0, 1]`
        : `${o.n} images of Gaussian noise, pixels ~ N(${o.stats.mean.toFixed(4)}, ${o.stats.std.toFixed(4)}^2) (the MNIST train mean / std) clipped to [0, 1]`,
  };
}
