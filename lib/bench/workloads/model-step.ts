// One step of a model on a fixed random batch: a forward pass without gradients (infer), or a
// forward, backward and optimizer step (train). The standard model workloads and user models
// (--model) both run through here, so their figures mean the same thing.
import { backward, noGrad } from '../../core/autograd/engine.js';
import { full, randn, tensor } from '../../core/ops/creation.js';
import { crossEntropy } from '../../core/ops/softmax.js';
import { RandomGenerator } from '../../core/random.js';
import { tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import { mseLoss } from '../../nn/losses.js';
import type { Module } from '../../nn/module.js';
import { Adam } from '../../optim/adam.js';
import type { Optimizer } from '../../optim/optimizer.js';

export type Mode = 'train' | 'infer';
/** 'cross-entropy' (integer class targets), 'mse' (targets shaped like the output) or a function. */
export type LossSpec = 'cross-entropy' | 'mse' | ((output: Tensor, target: Tensor) => Tensor);

export interface ModelStepOptions {
  input: readonly number[];
  mode: Mode;
  loss?: LossSpec;
  /** Classes of the cross-entropy targets (default: the output's last dimension). */
  classes?: number;
  optimizer?: (params: Tensor[]) => Optimizer;
  seed?: number;
}

/** Random integer labels in [0, classes) for a batch of n. */
function labels(n: number, classes: number, gen: RandomGenerator): Tensor {
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.floor(gen.uniform() * classes) % classes;
  return tensor(y, [n], { dtype: 'int32' });
}

/** The step function of a model on a random batch of shape o.input; the batch and targets are kept across steps. */
export function modelStep(model: Module, o: ModelStepOptions): () => void {
  if (!o.input.length || o.input.some((d) => !Number.isInteger(d) || d < 1))
    throw new ShapeError(`bench: input shape must be positive integers, got [${o.input.join(', ')}]`);
  const gen = new RandomGenerator(o.seed ?? 0);
  const x = randn(o.input, { generator: gen }).keep();
  if (o.mode === 'infer') {
    model.eval();
    return () => noGrad(() => tidy(() => void model.forward(x).data()));
  }
  model.train();
  const out = noGrad(() => tidy(() => model.forward(x).shape));
  const loss = o.loss ?? 'cross-entropy';
  let target: Tensor;
  if (loss === 'cross-entropy') {
    if (out.length !== 2)
      throw new ShapeError(`bench: cross-entropy needs a [N, C] output, the model gives [${out.join(', ')}] (export a loss)`);
    target = labels(out[0], o.classes ?? out[1], gen).keep();
  } else if (loss === 'mse' || typeof loss === 'function') target = (loss === 'mse' ? randn(out, { generator: gen }) : full(out, 0)).keep();
  else throw new ArgumentError(`bench: unknown loss '${String(loss)}' (expected 'cross-entropy', 'mse' or a function)`);
  const lossFn =
    loss === 'cross-entropy'
      ? (y: Tensor) => crossEntropy(y, target)
      : loss === 'mse'
        ? (y: Tensor) => mseLoss(y, target)
        : (y: Tensor) => loss(y, target);
  const opt = o.optimizer ? o.optimizer(model.parameters()) : new Adam(model.parameters(), { lr: 1e-3 });
  return () => {
    tidy(() => {
      const l = lossFn(model.forward(x));
      backward(l);
      opt.step();
      l.item(); // waits for the step on asynchronous devices
    });
    opt.zeroGrad();
  };
}
