// Image preprocessing on whole data sets or batches: scaling uint8 to [0, 1], normalisation
// with train-split statistics, resizing, channel replication, rotation and Gaussian noise.
import { ArgumentError } from '../core/errors.js';
import { noGrad } from '../core/autograd/engine.js';
import * as ops from '../core/ops/index.js';
import { defaultGenerator, RandomGenerator } from '../core/random.js';
import { tidy } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';

/** uint8 [N, H, W] (or [N, C, H, W]) -> float32 [N, C, H, W] in [0, 1]. */
export function toUnitFloat(images: Tensor): Tensor {
  // Always a new tensor (a float32 input is copied), so the caller may dispose the source.
  const x =
    images.dtype === 'float32' ? noGrad(() => ops.clone(images)) : ops.cast(images, 'float32', images.dtype === 'uint8' ? 1 / 255 : 1);
  return images.ndim === 3 ? ops.reshape(x, [images.shape[0], 1, images.shape[1], images.shape[2]]) : x;
}

export interface NormStats {
  mean: number;
  std: number;
}

/** float32 [256]: what toUnitFloat gives each byte value (the same cast, so the same bits). */
function unitByteValues(device: Tensor['device']): Tensor {
  const bytes = ops.tensor(
    Uint8Array.from({ length: 256 }, (_, v) => v),
    [256],
    { device },
  );
  const values = toUnitFloat(bytes);
  bytes.dispose();
  return values;
}

/**
 * Mean and (population) standard deviation over every pixel: what torchvision's 0.1307/0.3081 are.
 * uint8 images are measured as toUnitFloat(x) (the same bits) without making that float copy.
 */
export function pixelStats(x: Tensor): NormStats {
  if (x.dtype !== 'uint8') return ops.noGradStats(x);
  const values = unitByteValues(x.device);
  try {
    return ops.noGradStatsOfBytes(x, values);
  } finally {
    values.dispose();
  }
}

export function normalize(x: Tensor, s: NormStats): Tensor {
  if (!(s.std > 0)) throw new ArgumentError(`normalize: std must be > 0, got ${s.std}`);
  return ops.affine(x, 1 / s.std, -s.mean / s.std);
}

/**
 * normalize(toUnitFloat(images), s), with its bits and shape, in one pass over uint8 images: each
 * byte value's result is computed once by those two ops and looked up (no float32 intermediate
 * of the data set's size). Other dtypes take the two ops.
 */
export function normalizedImages(images: Tensor, s: NormStats): Tensor {
  if (images.dtype !== 'uint8') return tidy(() => normalize(toUnitFloat(images), s));
  const unit = unitByteValues(images.device);
  const table = normalize(unit, s);
  const x = ops.byteTable(images, table);
  [unit, table].forEach((t) => t.dispose());
  return images.ndim === 3 ? ops.reshape(x, [images.shape[0], 1, images.shape[1], images.shape[2]]) : x;
}

/** Inverse of normalize (back to pixel units, e.g. for attacks and plots). */
export function denormalize(x: Tensor, s: NormStats): Tensor {
  return ops.affine(x, s.std, s.mean);
}

export function resize(x: Tensor, h: number, w: number): Tensor {
  if (x.shape[2] === h && x.shape[3] === w) return x;
  return ops.resizeBilinear(x, h, w);
}

/** [N, 1, H, W] -> [N, c, H, W] by repeating the single channel. */
export function replicateChannels(x: Tensor, c: number): Tensor {
  if (x.shape[1] === c) return x;
  if (x.shape[1] !== 1) throw new ArgumentError(`replicateChannels: needs 1 input channel, got ${x.shape[1]}`);
  return ops.expand(x, [x.shape[0], c, x.shape[2], x.shape[3]]);
}

/** Rotates every image by `degrees` (a number, or one angle per image), counter-clockwise. */
export function rotate(x: Tensor, degrees: number | Float32Array, fill = 0): Tensor {
  return ops.rotate(x, degrees, fill);
}

/** x + N(0, sigma^2) noise from a seeded generator. */
export function gaussianNoise(x: Tensor, sigma: number, generator: RandomGenerator = defaultGenerator): Tensor {
  if (!(sigma >= 0)) throw new ArgumentError(`gaussianNoise: sigma must be >= 0, got ${sigma}`);
  if (sigma === 0) return x;
  return ops.add(x, ops.normal(x.shape, 0, sigma, { generator, device: x.device }));
}
