// CAM (Zhou et al. 2016) for networks whose head is global average pooling then one Linear: the
// last feature maps weighted by the Linear's row of the target class.
import { ArgumentError, ShapeError } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';
import { Linear } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { captureLayer, checkImages, ClassMaps, classMaps, explainMode, inBatches, Targets } from './common.js';
import { weightedSum } from './grad-cam.js';
import { moduleByName } from './hooks.js';

export interface CamOptions {
  /** The module whose output [N, K, h, w] is average-pooled into the classifier. */
  layer: string;
  /** The Linear(K, classes) after the pooling. */
  fc: string;
  target?: Targets;
  batchSize?: number;
}

/** CAM maps of images x [N, C, H, W]; not rectified (the class evidence can be negative). */
export function cam(model: Module, x: Tensor, o: CamOptions): ClassMaps {
  checkImages(x, 'cam');
  const fc = moduleByName(model, o.fc);
  if (!(fc instanceof Linear))
    throw new ArgumentError(`cam: module '${o.fc}' is a ${fc.constructor.name}, expected the Linear after global average pooling`);
  const W = fc.weight.data() as Float32Array;
  return explainMode(model, () =>
    inBatches(x, o.batchSize ?? 256, o.target, (xb, t) => {
      const cap = captureLayer(model, xb, o.layer, t, false, 'cam');
      const [n, k, h, w] = cap.shape;
      if (k !== fc.inFeatures)
        throw new ShapeError(
          `cam: module '${o.layer}' has ${k} channels but '${o.fc}' takes ${fc.inFeatures} features; CAM needs GAP between them`,
        );
      const weights = new Float64Array(n * k);
      for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) weights[i * k + c] = W[cap.targets[i] * k + c];
      return classMaps(weightedSum(cap.acts, weights, n, k, h * w, false), cap.shape, xb, cap.targets, cap.logits);
    }),
  );
}
