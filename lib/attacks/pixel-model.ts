// A model that takes raw pixels and normalises them inside its forward pass. Attacks perturb
// the raw pixels (range [0, 1] for MNIST), so eps means the same thing for every model whatever
// its input statistics or input format, and clipping to the valid pixel range is exact.
import { ArgumentError } from '../core/errors.js';
import { Module } from '../nn/module.js';
import * as ops from '../core/ops/index.js';
import type { Tensor } from '../core/tensor.js';

export interface PixelStats {
  /** Mean and standard deviation the wrapped model was trained with (x - mean) / std. */
  mean: number;
  std: number;
}

export class PixelSpaceModel extends Module {
  /**
   * model: maps normalised inputs to logits (or log-probabilities, e.g. an ensemble).
   * preprocess: a differentiable input transform applied to the pixels before normalising
   * (e.g. channel replication for a 3-channel network); identity when omitted.
   */
  constructor(
    readonly model: Module,
    readonly stats: PixelStats,
    readonly preprocess?: (x: Tensor) => Tensor,
  ) {
    super();
    if (!(stats.std > 0) || !Number.isFinite(stats.mean))
      throw new ArgumentError(`PixelSpaceModel: needs a finite mean and std > 0, got mean ${stats.mean}, std ${stats.std}`);
    this.registerModule('model', model);
  }

  forward(x: Tensor): Tensor {
    const p = this.preprocess ? this.preprocess(x) : x;
    return this.model.forward(ops.affine(p, 1 / this.stats.std, -this.stats.mean / this.stats.std));
  }
}
