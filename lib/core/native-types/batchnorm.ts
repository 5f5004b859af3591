// Typed surface of native/binding/ops_batchnorm.cpp.
import type { NativeTensor } from './core.js';

/**
 * Batch normalisation over axis 1 of float32 x [N, C, ...] ([N, C] for BatchNorm1d,
 * [N, C, H, W] for BatchNorm2d). gamma and beta are [C] or null (affine = false: ones and
 * zeros); every per-channel tensor must be [C] and on x's device.
 */
export interface BatchnormOps {
  /**
   * Training forward with batch statistics: y = (x - mean) * invstd * gamma + beta with
   * invstd = 1/sqrt(biased var + eps). Returns [y, saveMean, saveInvstd] for the backward
   * pass and, when given, updates runningMean / runningVar in place:
   * running = (1 - momentum) * running + momentum * batch, with the unbiased variance.
   * Needs more than one value per channel (ShapeError otherwise); momentum in [0, 1], eps > 0.
   */
  batchNormTrain(
    x: NativeTensor,
    gamma: NativeTensor | null,
    beta: NativeTensor | null,
    runningMean: NativeTensor | null,
    runningVar: NativeTensor | null,
    momentum: number,
    eps: number,
  ): [NativeTensor, NativeTensor, NativeTensor];
  /** Inference forward with the running statistics. */
  batchNormEval(
    x: NativeTensor,
    gamma: NativeTensor | null,
    beta: NativeTensor | null,
    runningMean: NativeTensor,
    runningVar: NativeTensor,
    eps: number,
  ): NativeTensor;
  /** Training-mode backward from batchNormTrain's saved statistics: [dx, dgamma, dbeta]. */
  batchNormBackward(
    x: NativeTensor,
    dy: NativeTensor,
    gamma: NativeTensor | null,
    saveMean: NativeTensor,
    saveInvstd: NativeTensor,
  ): [NativeTensor, NativeTensor, NativeTensor];
}
