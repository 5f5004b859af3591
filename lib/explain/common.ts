// What the explanation methods share: running a model in evaluation mode with its parameters
// frozen, choosing target classes, capturing a layer's activations (and their gradients), and
// turning low-resolution maps into input-sized ones in [0, 1].
import { backward, noGrad } from '../core/autograd/engine.js';
import { ArgumentError, ShapeError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import { resize } from '../data/transforms.js';
import type { Module } from '../nn/module.js';
import { withFrozenModel } from '../attacks/input-gradient.js';
import { registerForwardHook } from './hooks.js';

/** Target classes: one for all images, one per image, or (absent) each image's predicted class. */
export type Targets = number | ArrayLike<number>;

/** Maps of one method for a batch of images. */
export interface ClassMaps {
  n: number;
  /** The class each map explains. */
  targets: Int32Array;
  /** The model's logit of that class per image. */
  scores: Float32Array;
  /** Maps at the layer's resolution, [n, h, w] row-major, before any scaling. */
  raw: Float32Array;
  h: number;
  w: number;
  /** Maps resized (bilinear) to the input's [height, width] and scaled to [0, 1] per image. */
  maps: Float32Array;
  height: number;
  width: number;
}

/** Runs fn with `model` in evaluation mode and no parameter gradient recorded; restores both. */
export function explainMode<T>(model: Module, fn: () => T): T {
  return withFrozenModel(model, {}, fn);
}

export function checkImages(x: Tensor, what: string): void {
  if (x.ndim !== 4 || x.dtype !== 'float32')
    throw new ShapeError(`${what}: expected float32 images [N, C, H, W], got ${x.dtype} ${shapeStr(x.shape)}`);
}

/** Resolves `targets` for n images whose logits are [n, classes] (row-major). */
export function resolveTargets(targets: Targets | undefined, logits: Float32Array, n: number, what: string): Int32Array {
  const classes = logits.length / n;
  const out = new Int32Array(n);
  if (typeof targets === 'object' && targets.length !== n) throw new ArgumentError(`${what}: ${targets.length} targets for ${n} images`);
  for (let i = 0; i < n; i++) {
    let t: number;
    if (targets === undefined) {
      t = 0;
      for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + t]) t = c;
    } else t = typeof targets === 'number' ? targets : targets[i];
    if (!(Number.isInteger(t) && t >= 0 && t < classes))
      throw new ArgumentError(`${what}: target class ${t} for image ${i} is not one of the model's ${classes} classes`);
    out[i] = t;
  }
  return out;
}

/** Slices [start, end) of the batch dimension (a copy, no gradient). */
export function rows(x: Tensor, start: number, end: number): Tensor {
  return start === 0 && end === x.shape[0] ? x : noGrad(() => ops.slice(x, 0, start, end));
}

export interface LayerCapture {
  /** The layer's output [n, k, h, w] (row-major copy). */
  acts: Float32Array;
  /** d (sum of target logits) / d output, when asked for. */
  grads: Float32Array | null;
  shape: number[];
  logits: Float32Array;
  targets: Int32Array;
}

/**
 * One forward pass of x through `model`, capturing the output of module `layer`; with
 * `gradients`, also the gradient of each image's target logit at that output (the output is
 * swapped for a leaf, so no gradient goes further back than the layer).
 */
export function captureLayer(
  model: Module,
  x: Tensor,
  layer: string,
  targets: Targets | undefined,
  gradients: boolean,
  what: string,
): LayerCapture {
  return tidy(() => {
    let out: Tensor | null = null;
    const handle = registerForwardHook(model, layer, (o) => {
      if (!gradients) {
        out = o;
        return;
      }
      out = ops.detach(o).requiresGrad_(true);
      return out;
    });
    try {
      const logitsT = gradients ? model.call(x) : noGrad(() => model.call(x));
      if (!out) throw new ArgumentError(`${what}: module '${layer}' did not run in the forward pass`);
      const a = out as Tensor;
      if (a.ndim !== 4) throw new ShapeError(`${what}: module '${layer}' gives ${shapeStr(a.shape)}; a map needs [N, K, h, w]`);
      const n = x.shape[0];
      const logits = logitsT.data() as Float32Array;
      const t = resolveTargets(targets, logits, n, what);
      let grads: Float32Array | null = null;
      if (gradients) {
        const classes = logitsT.shape[1];
        const seed = new Float32Array(n * classes);
        for (let i = 0; i < n; i++) seed[i * classes + t[i]] = 1;
        backward(logitsT, ops.tensor(seed, [n, classes], { device: logitsT.device }));
        grads = a.grad!.data() as Float32Array;
        a.grad!.dispose();
        a.grad = null;
      }
      return { acts: a.data() as Float32Array, grads, shape: a.shape.slice(), logits, targets: t };
    } finally {
      handle.remove();
    }
  });
}

/** Bilinear resize of n maps [n, h, w] to [n, H, W] (torch's interpolate, align_corners=False). */
export function upsample(maps: Float32Array, n: number, h: number, w: number, H: number, W: number): Float32Array {
  if (h === H && w === W) return maps.slice();
  return tidy(() => resize(ops.tensor(maps, [n, 1, h, w]), H, W).data() as Float32Array);
}

/** Scales each of the n maps to [0, 1] by its own min and max (a constant map becomes 0). */
export function scaleEach(maps: Float32Array, n: number): Float32Array {
  const size = maps.length / n,
    out = new Float32Array(maps.length);
  for (let i = 0; i < n; i++) {
    let lo = Infinity,
      hi = -Infinity;
    for (let j = 0; j < size; j++) {
      const v = maps[i * size + j];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const span = hi - lo;
    for (let j = 0; j < size; j++) out[i * size + j] = span > 0 ? (maps[i * size + j] - lo) / span : 0;
  }
  return out;
}

/** Assembles ClassMaps from raw maps at the layer's resolution. */
export function classMaps(raw: Float32Array, shape: number[], x: Tensor, targets: Int32Array, logits: Float32Array): ClassMaps {
  const [n, , h, w] = shape,
    [height, width] = [x.shape[2], x.shape[3]];
  const classes = logits.length / n;
  const scores = Float32Array.from(targets, (t, i) => logits[i * classes + t]);
  return { n, targets, scores, raw, h, w, maps: scaleEach(upsample(raw, n, h, w, height, width), n), height, width };
}

/** Calls fn on batches of at most `batch` images and concatenates the ClassMaps. */
export function inBatches(
  x: Tensor,
  batch: number,
  targets: Targets | undefined,
  fn: (xb: Tensor, t: Targets | undefined) => ClassMaps,
): ClassMaps {
  const n = x.shape[0];
  if (!(Number.isInteger(batch) && batch > 0)) throw new ArgumentError(`batchSize must be a positive integer, got ${batch}`);
  if (n <= batch) return fn(x, targets);
  const parts: ClassMaps[] = [];
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const t = targets === undefined || typeof targets === 'number' ? targets : Array.from(targets).slice(s, e);
    parts.push(tidy(() => fn(rows(x, s, e), t)));
  }
  return concatMaps(parts);
}

/** The ClassMaps of consecutive batches of images as one. */
export function concatMaps(parts: ClassMaps[]): ClassMaps {
  if (parts.length === 1) return parts[0];
  const cat = (k: 'targets' | 'scores' | 'raw' | 'maps') => {
    const total = parts.reduce((a, p) => a + p[k].length, 0);
    const out = k === 'targets' ? new Int32Array(total) : new Float32Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p[k], o);
      o += p[k].length;
    }
    return out;
  };
  const p0 = parts[0];
  return {
    ...p0,
    n: parts.reduce((a, p) => a + p.n, 0),
    targets: cat('targets') as Int32Array,
    scores: cat('scores') as Float32Array,
    raw: cat('raw') as Float32Array,
    maps: cat('maps') as Float32Array,
  };
}
