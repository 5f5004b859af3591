// Score-CAM (Wang et al. 2020), as pytorch-cnn-visualizations computes it: each feature map,
// upsampled and scaled to [0, 1], masks the input; the softmax probability of the target class
// on the masked input is that map's weight. No gradient: K extra forward passes per image.
import { noGrad } from '../core/autograd/engine.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import type { Module } from '../nn/module.js';
import { captureLayer, checkImages, ClassMaps, classMaps, explainMode, inBatches, scaleEach, Targets, upsample } from './common.js';
import { weightedSum } from './grad-cam.js';

export interface ScoreCamOptions {
  layer: string;
  target?: Targets;
  /** Masked images per forward pass (default 256). */
  batchSize?: number;
}

/** Softmax probability of class `t` for each of the images xs [m, C, H, W]. */
function probabilities(model: Module, xs: Tensor, t: number, batch: number): Float32Array {
  const m = xs.shape[0],
    out = new Float32Array(m);
  for (let s = 0; s < m; s += batch) {
    const e = Math.min(m, s + batch);
    const p = tidy(() => noGrad(() => ops.softmax(model.call(ops.slice(xs, 0, s, e)), 1)).data() as Float32Array);
    const classes = p.length / (e - s);
    for (let i = s; i < e; i++) out[i] = p[(i - s) * classes + t];
  }
  return out;
}

/** Score-CAM maps of images x [N, C, H, W] at module `layer`. */
export function scoreCam(model: Module, x: Tensor, o: ScoreCamOptions): ClassMaps {
  checkImages(x, 'scoreCam');
  const batch = o.batchSize ?? 256;
  return explainMode(model, () =>
    inBatches(x, 64, o.target, (xb, targets) => {
      const cap = captureLayer(model, xb, o.layer, targets, false, 'scoreCam');
      const [n, k, h, w] = cap.shape,
        [C, H, W] = xb.shape.slice(1);
      const masks = scaleEach(upsample(cap.acts, n * k, h, w, H, W), n * k);
      const pixels = xb.data() as Float32Array;
      const weights = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        // The K masked copies of image i, each channel of the image times the same mask.
        const masked = new Float32Array(k * C * H * W);
        for (let c = 0; c < k; c++)
          for (let ch = 0; ch < C; ch++)
            for (let j = 0; j < H * W; j++)
              masked[(c * C + ch) * H * W + j] = pixels[(i * C + ch) * H * W + j] * masks[(i * k + c) * H * W + j];
        const p = tidy(() => probabilities(model, ops.tensor(masked, [k, C, H, W], { device: xb.device }), cap.targets[i], batch));
        weights.set(p, i * k);
      }
      return classMaps(weightedSum(cap.acts, weights, n, k, h * w), cap.shape, xb, cap.targets, cap.logits);
    }),
  );
}
