// The mean squared error as one graph node: the forward is one native pass (squaredDiff: the
// difference and the reduced squares, the bits of the composite's sub, square and reduce), the
// backward one broadcasting multiply of the kept difference by the scaled incoming
// gradient, where the composite materialises the broadcast gradient and then multiplies it by
// 2 * diff (two more passes over the batch and one more array).
import { needsGrad, record } from '../autograd/engine.js';
import { native } from '../native.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { fromHandle, shapeStr, Tensor } from '../tensor.js';
import type { Reduction } from './softmax.js';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/**
 * mean or sum over every element of (input - target)^2, with 'none' the elementwise squares; input
 * and target of one shape. Values and gradients are bit for bit those of
 * `mean(square(sub(input, target)))`: per element the composite computes s * (2 * d) with
 * s = g / n rounded, this computes d * (2 * s), and scaling by 2 is exact, so both are the one
 * rounding of 2 * s * d.
 */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  if (input.shape.join() !== target.shape.join())
    throw new ShapeError(`mseLoss: input ${shapeStr(input.shape)} and target ${shapeStr(target.shape)} must have the same shape`);
  if (!REDUCTIONS.includes(reduction))
    throw new ArgumentError(`mseLoss: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  if (reduction === 'none') {
    const diff = fromHandle(native.binary(input.handle, target.handle, 'sub'));
    const squares = native.unary(diff.handle, 'square', 0, 0);
    if (!needsGrad(input, target)) diff.dispose();
    const y = fromHandle(squares);
    // d(d^2)/dd = 2d, times the incoming gradient: the square's own backward.
    return record(y, 'mseLoss(none)', [input, target], (g) =>
      gradients(input, target, fromHandle(native.unaryBackward(diff.handle, squares, g.handle, 'square', 0, 0))),
    );
  }
  // One pass: the difference (kept for the backward) and the reduced squares, never materialised.
  const [diffHandle, loss] = native.squaredDiff(input.handle, target.handle, reduction);
  const diff = fromHandle(diffHandle);
  if (!needsGrad(input, target)) diff.dispose();
  const count = Math.max(
    input.shape.reduce((n, d) => n * d, 1),
    1,
  );
  const y = fromHandle(loss);
  return record(y, `mseLoss(${reduction})`, [input, target], (g) => {
    const twice = native.unary(g.handle, 'affine', reduction === 'mean' ? 2 / count : 2, 0);
    try {
      return gradients(input, target, fromHandle(native.binary(diff.handle, twice, 'mul')));
    } finally {
      twice.dispose();
    }
  });
}

// The target's gradient is the input's negated (sub's backward).
function gradients(input: Tensor, target: Tensor, dInput: Tensor): (Tensor | null)[] {
  const dTarget = target.requiresGrad ? fromHandle(native.unary(dInput.handle, 'neg', 0, 0)) : null;
  if (input.requiresGrad) return [dInput, dTarget];
  dInput.dispose();
  return [null, dTarget];
}
