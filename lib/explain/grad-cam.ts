// Grad-CAM (Selvaraju et al. 2017) and Grad-CAM++ (Chattopadhyay et al. 2018): a layer's feature
// maps weighted by the gradient of the target logit, as pytorch-grad-cam computes them.
import type { Tensor } from '../core/tensor.js';
import type { Module } from '../nn/module.js';
import { captureLayer, checkImages, ClassMaps, classMaps, explainMode, inBatches, Targets } from './common.js';

export interface GradCamOptions {
  /** Qualified name of the module whose output is explained (e.g. '4', 'layer4'). */
  layer: string;
  /** Class(es) to explain; default: each image's predicted class. */
  target?: Targets;
  /** Images per forward/backward pass (default 256). */
  batchSize?: number;
}

/** Per-channel weights [n, k] from activations and gradients [n, k, h, w]. */
type ChannelWeights = (acts: Float32Array, grads: Float32Array, n: number, k: number, hw: number) => Float64Array;

/** Grad-CAM: the spatial mean of the gradient. */
export const gradCamWeights: ChannelWeights = (_acts, grads, n, k, hw) => {
  const w = new Float64Array(n * k);
  for (let c = 0; c < n * k; c++) {
    let s = 0;
    for (let j = 0; j < hw; j++) s += grads[c * hw + j];
    w[c] = s / hw;
  }
  return w;
};

// As pytorch-grad-cam, so maps agree with it.
const PLUS_PLUS_EPS = 1e-6;

/**
 * Grad-CAM++: alpha = g^2 / (2 g^2 + sum(A) g^3) (the closed form of Chattopadhyay et al. with
 * the exponential of the score), zero where g = 0; the weight is sum(alpha * relu(g)).
 */
export const gradCamPlusPlusWeights: ChannelWeights = (acts, grads, n, k, hw) => {
  const w = new Float64Array(n * k);
  for (let c = 0; c < n * k; c++) {
    let sumA = 0;
    for (let j = 0; j < hw; j++) sumA += acts[c * hw + j];
    let s = 0;
    for (let j = 0; j < hw; j++) {
      const g = grads[c * hw + j];
      if (g === 0) continue;
      const g2 = g * g;
      const alpha = g2 / (2 * g2 + sumA * g2 * g + PLUS_PLUS_EPS);
      s += alpha * Math.max(g, 0);
    }
    w[c] = s;
  }
  return w;
};

/** relu(sum_k w[i, k] * A[i, k]) for each image: maps [n, h, w]. */
export function weightedSum(
  acts: Float32Array,
  weights: ArrayLike<number>,
  n: number,
  k: number,
  hw: number,
  rectify = true,
): Float32Array {
  const out = new Float32Array(n * hw);
  const acc = new Float64Array(hw);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    for (let c = 0; c < k; c++) {
      const wc = weights[i * k + c],
        base = (i * k + c) * hw;
      if (wc !== 0) for (let j = 0; j < hw; j++) acc[j] += wc * acts[base + j];
    }
    for (let j = 0; j < hw; j++) out[i * hw + j] = rectify ? Math.max(acc[j], 0) : acc[j];
  }
  return out;
}

function gradientMaps(model: Module, x: Tensor, o: GradCamOptions, weightsOf: ChannelWeights, what: string): ClassMaps {
  checkImages(x, what);
  return explainMode(model, () =>
    inBatches(x, o.batchSize ?? 256, o.target, (xb, t) => {
      const cap = captureLayer(model, xb, o.layer, t, true, what);
      const [n, k, h, w] = cap.shape;
      const weights = weightsOf(cap.acts, cap.grads!, n, k, h * w);
      return classMaps(weightedSum(cap.acts, weights, n, k, h * w), cap.shape, xb, cap.targets, cap.logits);
    }),
  );
}

/** Grad-CAM maps of images x [N, C, H, W] at module `layer`. */
export function gradCam(model: Module, x: Tensor, o: GradCamOptions): ClassMaps {
  return gradientMaps(model, x, o, gradCamWeights, 'gradCam');
}

/** Grad-CAM++ maps of images x [N, C, H, W] at module `layer`. */
export function gradCamPlusPlus(model: Module, x: Tensor, o: GradCamOptions): ClassMaps {
  return gradientMaps(model, x, o, gradCamPlusPlusWeights, 'gradCamPlusPlus');
}
