// The iterated FGSM: projected gradient descent on the loss within the L-infinity eps-ball
// (Madry et al. 2018, random start) and the basic iterative method (Kurakin et al. 2017, start at
// x). Each step: x <- Proj(x + stepSize * sign(grad_x loss)), Proj = clip to [x0 - eps, x0 + eps]
// and to the valid range.
import { noGrad } from '../core/autograd/engine.js';
import { ArgumentError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import * as ops from '../core/ops/index.js';
import { defaultGenerator, RandomGenerator } from '../core/random.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { FgsmOptions, signStep } from './fgsm.js';
import { checkBatch, checkNonNegative, checkRange, inputGradient } from './input-gradient.js';

export interface PgdOptions extends FgsmOptions {
  /** Size of each signed-gradient step (Madry et al.: 0.01 for eps 0.3 on MNIST). */
  stepSize: number;
  steps: number;
  /** Start at a uniform random point of the eps-ball (PGD, the default) or at x (BIM). */
  randomStart?: boolean;
  /** Stream for the random start. */
  generator?: RandomGenerator;
}

/** Projected gradient descent: returns adversarial images within eps of x (L-infinity). */
export function pgd(model: Module, x: Tensor, labels: Tensor, o: PgdOptions): Tensor {
  checkNonNegative(o.eps, 'eps', 'pgd');
  checkNonNegative(o.stepSize, 'stepSize', 'pgd');
  if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new ArgumentError(`pgd: steps must be an integer >= 1, got ${o.steps}`);
  const range = checkRange(o.range, 'pgd');
  checkBatch(x, labels, 'pgd');
  const [lo, hi] = range;
  const { lower, upper } = noGrad(() => ({
    lower: ops.clamp(ops.add(x, -o.eps), lo, hi),
    upper: ops.clamp(ops.add(x, o.eps), lo, hi),
  }));
  const project = (a: Tensor) => noGrad(() => ops.minimum(ops.maximum(a, lower), upper));
  let adv = noGrad(() =>
    (o.randomStart ?? true)
      ? tidy(() =>
          project(ops.add(x, ops.uniform(x.shape, -o.eps, o.eps, { generator: o.generator ?? defaultGenerator, device: x.device }))),
        )
      : project(x),
  );
  try {
    for (let t = 0; t < o.steps; t++) {
      const next = tidy(() => project(signStep(adv, inputGradient(model, adv, labels, o), o.stepSize, !!o.targeted, range)));
      adv.dispose();
      adv = next;
    }
  } catch (e) {
    adv.dispose();
    throw e;
  } finally {
    lower.dispose();
    upper.dispose();
  }
  return adv;
}

/** The basic iterative method: pgd without the random start. */
export function bim(model: Module, x: Tensor, labels: Tensor, o: Omit<PgdOptions, 'randomStart' | 'generator'>): Tensor {
  return pgd(model, x, labels, { ...o, randomStart: false });
}
