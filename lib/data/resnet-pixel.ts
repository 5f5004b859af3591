// The seed-000 input pipeline (resnet-data.ts: bilinear resize to 32x32, normalisation with the
// train part's statistics, the channel replicated to 3) as a DIFFERENTIABLE map from raw 28x28
// pixels in [0, 1], so attacks perturb the pixels every model sees (eps in pixel units) and their
// gradient flows back through the resize. resnet-data.ts resizes natively (no gradient);
// data.resizeBilinearDifferentiable gives the same images through matmul.
import { PixelSpaceModel } from '../attacks/pixel-model.js';
import * as data from './index.js';
import type { Tensor } from '../core/tensor.js';
import type { Module } from '../nn/module.js';
import { RESNET_IMAGE_SIZE, toModelInput } from './resnet-data.js';

/** Raw pixels [N, 1, H, W] -> the [N, 3, size, size] un-normalised input of the pipeline. */
export function resnetPixelTransform(size = RESNET_IMAGE_SIZE): (x: Tensor) => Tensor {
  return (x) => toModelInput(data.resizeBilinearDifferentiable(x, size, size));
}

/**
 * A ResNet18 trained on the seed-000 pipeline (or an Ensemble of them) taking raw 28x28 pixels:
 * resize, replicate, then normalise with `stats` (the model's ResnetMeta.stats) inside forward.
 */
export function resnetPixelModel(net: Module, stats: data.NormStats, size = RESNET_IMAGE_SIZE): PixelSpaceModel {
  return new PixelSpaceModel(net, stats, resnetPixelTransform(size));
}
