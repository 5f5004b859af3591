// Loss functions (PyTorch's definitions, mean reduction by default).
import { ShapeError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import type { Reduction } from '../core/ops/softmax.js';
import { shapeStr, Tensor } from '../core/tensor.js';

function reduce(t: Tensor, r: Reduction): Tensor {
  return r === 'none' ? t : r === 'sum' ? ops.sum(t) : ops.mean(t);
}

function sameShape(a: Tensor, b: Tensor, op: string) {
  if (a.shape.join() !== b.shape.join())
    throw new ShapeError(`${op}: input ${shapeStr(a.shape)} and target ${shapeStr(b.shape)} must have the same shape`);
}

/** Mean squared error (ops.mseLoss: one graph node). */
export const mseLoss = ops.mseLoss;

/** Binary cross-entropy on probabilities; logs are clamped at -100 as in PyTorch. */
export function bceLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  sameShape(input, target, 'bceLoss');
  const logp = ops.clamp(ops.log(input), -100, Infinity);
  const log1mp = ops.clamp(ops.log(ops.affine(input, -1, 1)), -100, Infinity);
  const l = ops.neg(ops.add(ops.mul(target, logp), ops.mul(ops.affine(target, -1, 1), log1mp)));
  return reduce(l, reduction);
}

export const crossEntropyLoss = ops.crossEntropy;
export const nllLoss = ops.nllLoss;
