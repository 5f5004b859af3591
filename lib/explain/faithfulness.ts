// Deletion and insertion curves (Petsiuk et al. 2018): pixels are removed from the image (or
// inserted into a blank one) in the order a map ranks them, most important first, and the target
// class probability is tracked. A faithful map makes deletion fall fast (low area under the
// curve) and insertion rise fast (high area).
import { noGrad } from '../core/autograd/engine.js';
import { ArgumentError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import type { Module } from '../nn/module.js';
import { checkImages, explainMode } from './common.js';

export interface FaithfulnessOptions {
  /** Points on each curve after the start (default 28). */
  steps?: number;
  /** Value of a removed pixel in the model's input units (e.g. the normalised black). */
  baseline?: number;
  batchSize?: number;
}

export interface FaithfulnessCurves {
  /** [n, steps + 1] target probabilities; column s has s/steps of the pixels removed / inserted. */
  deletion: Float32Array;
  insertion: Float32Array;
  /** Mean area under each image's curve (trapezoids over [0, 1]). */
  deletionAuc: number;
  insertionAuc: number;
  steps: number;
}

/** Pixel indices of one map, highest value first (ties: lower index first). */
export function rankPixels(map: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: map.length }, (_, i) => i).sort((a, b) => map[b] - map[a] || a - b);
}

function auc(curve: ArrayLike<number>, from: number, len: number): number {
  let s = 0;
  for (let j = 1; j < len; j++) s += (curve[from + j - 1] + curve[from + j]) / 2;
  return s / (len - 1);
}

/** Deletion and insertion curves of maps [n, H*W] on images x [n, C, H, W] for classes `targets`. */
export function deletionInsertion(
  model: Module,
  x: Tensor,
  maps: Float32Array,
  targets: ArrayLike<number>,
  o: FaithfulnessOptions = {},
): FaithfulnessCurves {
  checkImages(x, 'deletionInsertion');
  const [n, C, H, W] = x.shape,
    plane = H * W,
    steps = o.steps ?? 28,
    baseline = o.baseline ?? 0,
    batch = o.batchSize ?? 512;
  if (maps.length !== n * plane) throw new ArgumentError(`deletionInsertion: ${maps.length} map values for ${n} images of ${H}x${W}`);
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= plane))
    throw new ArgumentError(`deletionInsertion: steps must be an integer in [1, ${plane}], got ${steps}`);
  const pixels = x.data() as Float32Array,
    points = steps + 1;
  const curves = { deletion: new Float32Array(n * points), insertion: new Float32Array(n * points) };
  const probsOf = (imgs: Float32Array, count: number, t: ArrayLike<number>, into: Float32Array, at: number) => {
    for (let s = 0; s < count; s += batch) {
      const e = Math.min(count, s + batch);
      const p = tidy(
        () =>
          noGrad(() =>
            ops.softmax(model.call(ops.tensor(imgs.subarray(s * C * plane, e * C * plane), [e - s, C, H, W], { device: x.device })), 1),
          ).data() as Float32Array,
      );
      const classes = p.length / (e - s);
      for (let i = s; i < e; i++) into[at + i] = p[(i - s) * classes + t[i]];
    }
  };
  explainMode(model, () => {
    for (let i = 0; i < n; i++) {
      const order = rankPixels(maps.subarray(i * plane, (i + 1) * plane));
      const del = new Float32Array(points * C * plane),
        ins = new Float32Array(points * C * plane).fill(baseline);
      const img = pixels.subarray(i * C * plane, (i + 1) * C * plane);
      for (let s = 0; s < points; s++) {
        const k = Math.round((s * plane) / steps),
          d = s * C * plane;
        del.set(img, d);
        for (let r = 0; r < k; r++)
          for (let ch = 0; ch < C; ch++) {
            del[d + ch * plane + order[r]] = baseline;
            ins[d + ch * plane + order[r]] = img[ch * plane + order[r]];
          }
      }
      const t = new Int32Array(points).fill(targets[i]);
      probsOf(del, points, t, curves.deletion, i * points);
      probsOf(ins, points, t, curves.insertion, i * points);
    }
  });
  let dAuc = 0,
    iAuc = 0;
  for (let i = 0; i < n; i++) {
    dAuc += auc(curves.deletion, i * points, points) / n;
    iAuc += auc(curves.insertion, i * points, points) / n;
  }
  return { ...curves, deletionAuc: dAuc, insertionAuc: iAuc, steps };
}
