// Score-CAM (Wang et al. 2020), as pytorch-cnn-visualizations computes it: each feature map,
// upsampled and scaled to [0, 1], masks the input; the softmax probability of the target class
// on the masked input is that map's weight. No gradient: K extra forward passes per image,
// shared by every target class asked for.
import { noGrad } from '../core/autograd/engine.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import type { Module } from '../nn/module.js';
import { ArgumentError } from '../core/errors.js';
import {
  captureLayer,
  checkImages,
  ClassMaps,
  classMaps,
  concatMaps,
  explainMode,
  resolveTargets,
  rows,
  scaleEach,
  Targets,
  upsample,
} from './common.js';
import { weightedSum } from './grad-cam.js';

export interface ScoreCamOptions {
  layer: string;
  target?: Targets;
  /** Masked images per forward pass (default 256). */
  batchSize?: number;
}

/** Softmax probabilities [m, classes] of the images xs [m, C, H, W], `batch` images per forward pass. */
function probabilities(model: Module, xs: Tensor, batch: number): Float32Array {
  const m = xs.shape[0];
  let out: Float32Array | null = null;
  for (let s = 0; s < m; s += batch) {
    const e = Math.min(m, s + batch);
    const p = tidy(() => noGrad(() => ops.softmax(model.call(ops.slice(xs, 0, s, e)), 1)).data() as Float32Array);
    out ??= new Float32Array((m * p.length) / (e - s));
    out.set(p, (s * p.length) / (e - s));
  }
  return out!;
}

/** Score-CAM maps of images x [N, C, H, W] at module `layer`. */
export function scoreCam(model: Module, x: Tensor, o: ScoreCamOptions): ClassMaps {
  const { target, ...rest } = o;
  return scoreCamTargets(model, x, { ...rest, targets: [target] })[0];
}

export interface ScoreCamTargetsOptions extends Omit<ScoreCamOptions, 'target'> {
  /** One entry per set of maps wanted (undefined: each image's predicted class). */
  targets: (Targets | undefined)[];
}

/**
 * Score-CAM maps of images x for several target choices at once (e.g. the true and a wrong
 * class): the masked copies do not depend on the class, so their K forward passes per image
 * serve every entry of `targets`, and each set equals what scoreCam gives for that target.
 */
export function scoreCamTargets(model: Module, x: Tensor, o: ScoreCamTargetsOptions): ClassMaps[] {
  checkImages(x, 'scoreCam');
  if (o.targets.length === 0) throw new ArgumentError('scoreCam: targets must name at least one set of target classes');
  const batch = o.batchSize ?? 256,
    sets = o.targets.length;
  if (!(Number.isInteger(batch) && batch > 0)) throw new ArgumentError(`batchSize must be a positive integer, got ${batch}`);
  const n = x.shape[0],
    parts: ClassMaps[][] = [];
  explainMode(model, () => {
    for (let s = 0; s < n; s += IMAGES_PER_CAPTURE) {
      const e = Math.min(n, s + IMAGES_PER_CAPTURE);
      const xb = rows(x, s, e);
      const slice = (t: Targets | undefined) => (t === undefined || typeof t === 'number' ? t : Array.from(t).slice(s, e));
      parts.push(tidy(() => scoreCamBatch(model, xb, o.layer, o.targets.map(slice), batch)));
      if (xb !== x) xb.dispose();
    }
  });
  return Array.from({ length: sets }, (_, j) => concatMaps(parts.map((p) => p[j])));
}

/** Images per capture of the layer's activations (and per set of ClassMaps). */
const IMAGES_PER_CAPTURE = 64;

function scoreCamBatch(model: Module, xb: Tensor, layer: string, targets: (Targets | undefined)[], batch: number): ClassMaps[] {
  const cap = captureLayer(model, xb, layer, targets[0], false, 'scoreCam');
  const [n, k, h, w] = cap.shape,
    [C, H, W] = xb.shape.slice(1);
  const targetSets = targets.map((t, j) => (j === 0 ? cap.targets : resolveTargets(t, cap.logits, n, 'scoreCam')));
  const masks = scaleEach(upsample(cap.acts, n * k, h, w, H, W), n * k);
  const pixels = xb.data() as Float32Array;
  const weights = targets.map(() => new Float64Array(n * k));
  for (let i = 0; i < n; i++) {
    // The K masked copies of image i, each channel of the image times the same mask.
    const masked = new Float32Array(k * C * H * W);
    for (let c = 0; c < k; c++)
      for (let ch = 0; ch < C; ch++)
        for (let j = 0; j < H * W; j++)
          masked[(c * C + ch) * H * W + j] = pixels[(i * C + ch) * H * W + j] * masks[(i * k + c) * H * W + j];
    const p = tidy(() => probabilities(model, ops.tensor(masked, [k, C, H, W], { device: xb.device }), batch));
    const classes = p.length / k;
    targetSets.forEach((t, j) => {
      for (let c = 0; c < k; c++) weights[j][i * k + c] = p[c * classes + t[i]];
    });
  }
  return targetSets.map((t, j) => classMaps(weightedSum(cap.acts, weights[j], n, k, h * w), cap.shape, xb, t, cap.logits));
}
