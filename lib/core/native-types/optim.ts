// Typed surface of native/binding/ops_optim.cpp.
import type { NativeTensor } from './core.js';

export interface OptimOps {
  /**
   * One torch.optim.SGD step (PyTorch 1.13 rules) over every parameter, in place:
   * `d = g + weightDecay * p`; with momentum, `buf = firstStep ? d : momentum * buf + (1 - dampening) * d`
   * and `d = nesterov ? d + momentum * buf : buf`; then `p -= lr * d`.
   * All lists have one float32 tensor per parameter, shaped like it, on one device.
   * `momentumBufs` may be null only when momentum is 0 (it is then left untouched).
   * @throws ArgumentError mismatched list lengths, bad hyper-parameters (lr, momentum, weightDecay >= 0;
   *   dampening in [0, 1]; nesterov needs momentum > 0 and dampening 0), parameters/buffers sharing storage.
   * @throws ShapeError a grad or buffer shaped differently from its parameter (names the list position).
   */
  sgdStep(
    params: NativeTensor[],
    grads: NativeTensor[],
    momentumBufs: NativeTensor[] | null,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void;
  /**
   * One torch.optim.Adam (decoupled = false) or AdamW (decoupled = true) step over every parameter,
   * in place, updating the moment buffers m and v. `step` is the 1-based step count used for bias
   * correction (1 on the first call). Adam adds `weightDecay * p` to the gradient; AdamW multiplies
   * p by `1 - lr * weightDecay` first.
   * @throws ArgumentError mismatched list lengths, lr < 0, beta outside [0, 1), eps <= 0, weightDecay < 0,
   *   step < 1, tensors sharing storage.
   * @throws ShapeError a grad or moment shaped differently from its parameter.
   */
  adamStep(
    params: NativeTensor[],
    grads: NativeTensor[],
    m: NativeTensor[],
    v: NativeTensor[],
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: boolean,
    step: number,
  ): void;
  /**
   * Folds parameters into their running averages, in place: `avg = keep * avg + take * param`,
   * each product rounded to float32 before the sum (the bits of `add(mul(avg, keep), mul(param, take))`).
   * `keep` and `take` are rounded to float32. Both lists have one float32 tensor per parameter.
   * @throws ArgumentError mismatched list lengths, keep or take outside [0, 1], tensors sharing storage.
   * @throws ShapeError an average shaped differently from its parameter.
   */
  emaUpdate(avg: NativeTensor[], params: NativeTensor[], keep: number, take: number): void;
}
