// The fast gradient sign method (Goodfellow et al. 2015) and its random-sign control:
// x' = clip(x + eps * sign(grad_x loss), lo, hi) in pixel space. Untargeted attacks climb the
// loss of the true label; targeted ones descend the loss of the target label.
import { noGrad } from '../core/autograd/engine.js';
import type { Module } from '../nn/module.js';
import * as ops from '../core/ops/index.js';
import { defaultGenerator, RandomGenerator } from '../core/random.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { checkBatch, checkNonNegative, checkRange, GradientOptions, inputGradient } from './input-gradient.js';

export interface FgsmOptions extends GradientOptions {
  /** L-infinity budget in input units (pixels in [0, 1]: 0.25 = a quarter of the range). */
  eps: number;
  /** labels are target classes: move toward them instead of away from the true class. */
  targeted?: boolean;
  /** Valid input range the result is clipped to (default [0, 1]). */
  range?: readonly [number, number];
}

/** x + step * sign(g) (minus for targeted), clipped to the valid range. No graph. */
export function signStep(x: Tensor, g: Tensor, step: number, targeted: boolean, [lo, hi]: readonly [number, number]): Tensor {
  return noGrad(() => ops.clamp(ops.add(x, ops.mul(ops.sign(g), targeted ? -step : step)), lo, hi));
}

/** One FGSM step on a batch; returns the adversarial images (same shape and device as x). */
export function fgsm(model: Module, x: Tensor, labels: Tensor, o: FgsmOptions): Tensor {
  checkNonNegative(o.eps, 'eps', 'fgsm');
  const range = checkRange(o.range, 'fgsm');
  checkBatch(x, labels, 'fgsm');
  if (o.eps === 0) return noGrad(() => ops.clamp(x, range[0], range[1]));
  return tidy(() => signStep(x, inputGradient(model, x, labels, o), o.eps, !!o.targeted, range));
}

export interface RandomSignOptions {
  eps: number;
  range?: readonly [number, number];
  generator?: RandomGenerator;
}

/**
 * The control for FGSM: x + eps * s with s a uniformly random sign per pixel, clipped. Same
 * L-infinity size as an FGSM perturbation, but no information from the model.
 */
export function randomSign(x: Tensor, o: RandomSignOptions): Tensor {
  checkNonNegative(o.eps, 'eps', 'randomSign');
  const [lo, hi] = checkRange(o.range, 'randomSign');
  return noGrad(() =>
    tidy(() => {
      const b = ops.bernoulli(x.shape, 0.5, { generator: o.generator ?? defaultGenerator, device: x.device });
      return ops.clamp(ops.add(x, ops.affine(b, 2 * o.eps, -o.eps)), lo, hi);
    }),
  );
}
