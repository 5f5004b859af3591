// The gradient an attack follows: d loss / d x of the cross-entropy of a model's outputs at the
// given labels. Works on any Module whose forward returns logits or log-probabilities (for
// log-probabilities, cross-entropy from "logits" is exactly the NLL, since log-softmax leaves
// normalised log-probabilities unchanged), so single models and ensembles are attacked alike.
import { backward, isGradEnabled } from '../core/autograd/engine.js';
import { ArgumentError, DeviceError, DTypeError, ShapeError, ValueError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import { shapeStr, Tensor } from '../core/tensor.js';

export interface GradientOptions {
  /**
   * Evaluate the model in its current mode instead of eval mode. Default false: attacks see the
   * model as it is tested (no dropout, batch-norm running statistics), and the mode is restored.
   */
  keepMode?: boolean;
}

/** Validates an attack's batch: x float32 [N, ...], labels int32/uint8 [N] on x's device. */
export function checkBatch(x: Tensor, y: Tensor, op: string): void {
  if (x.dtype !== 'float32') throw new DTypeError(`${op}: images must be float32, got ${x.dtype}`);
  if (x.ndim < 2) throw new ShapeError(`${op}: images must be a batch [N, ...], got ${shapeStr(x.shape)}`);
  if (y.dtype !== 'int32' && y.dtype !== 'uint8')
    throw new DTypeError(`${op}: labels must be int32 (or uint8) class indices, got ${y.dtype}`);
  if (y.ndim !== 1 || y.shape[0] !== x.shape[0])
    throw new ShapeError(`${op}: labels ${shapeStr(y.shape)} do not match images ${shapeStr(x.shape)}; expected [${x.shape[0]}]`);
  if (x.device !== y.device) throw new DeviceError(`${op}: images are on ${x.device} but labels on ${y.device}`);
}

/**
 * The attack loss: cross-entropy summed over the batch (a sum, not a mean, so each image's
 * gradient does not shrink with the batch size; its sign is unchanged either way).
 */
export function attackLoss(model: Module, x: Tensor, y: Tensor): Tensor {
  return ops.crossEntropy(model.forward(x), y, { reduction: 'sum' });
}

/** Runs fn with the model in eval mode (unless keepMode) and its parameters frozen. */
export function withFrozenModel<T>(model: Module, o: GradientOptions, fn: () => T): T {
  const wasTraining = model.training;
  // Frozen parameters: backward computes no weight gradients (faster) and leaves .grad alone,
  // so an attack inside a training step does not disturb the optimizer's gradients.
  const frozen = model.parameters().filter((p) => p.requiresGrad);
  if (!o.keepMode) model.eval();
  for (const p of frozen) p.requiresGrad = false;
  try {
    return fn();
  } finally {
    for (const p of frozen) p.requiresGrad = true;
    model.train(wasTraining);
  }
}

/**
 * d attackLoss(model, x, y) / d x, shape of x, on x's device. The model's parameters receive no
 * gradient. Throws a ValueError when the loss is not finite (a NaN gradient would be silent).
 */
export function inputGradient(model: Module, x: Tensor, y: Tensor, o: GradientOptions = {}): Tensor {
  checkBatch(x, y, 'inputGradient');
  // The engine has no way to re-enable recording inside noGrad() (torch's enable_grad).
  if (!isGradEnabled())
    throw new ArgumentError('inputGradient: called inside noGrad(); attacks need the graph, so run them outside noGrad');
  return withFrozenModel(model, o, () =>
    tidy(() => {
      const leaf = ops.clone(ops.detach(x)).requiresGrad_(true);
      const loss = attackLoss(model, leaf, y);
      const v = loss.item();
      if (!Number.isFinite(v))
        throw new ValueError(`inputGradient: the attack loss is ${v} on images ${shapeStr(x.shape)}; the model's outputs are not finite`);
      backward(loss);
      const g = leaf.grad!;
      // leaf.grad is kept out of every scope: return a scoped copy, free the original.
      const out = ops.clone(g);
      g.dispose();
      leaf.grad = null;
      return out;
    }),
  );
}

/** Checks a perturbation budget or step: finite and >= 0. */
export function checkNonNegative(v: number, name: string, op: string): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new ArgumentError(`${op}: ${name} must be a finite number >= 0, got ${v}`);
}

/** The valid input range [lo, hi] (default [0, 1], MNIST pixels). */
export function checkRange(range: readonly [number, number] | undefined, op: string): [number, number] {
  const [lo, hi] = range ?? [0, 1];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi))
    throw new ArgumentError(`${op}: range must be two finite numbers lo < hi, got [${lo}, ${hi}]`);
  return [lo, hi];
}
