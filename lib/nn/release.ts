// Early release of intermediate activations in inference. Under noGrad no tape holds on to an
// activation, so once the next layer has read it nothing needs it; PyTorch frees it at that
// moment by reference counting. Here a tensor lives until its tidy ends, so a ResNet18 forward
// pass at batch 1000 would hold every activation of the network at once (1.8 GB peak instead of
// about two layers' worth). Only tensors created in the innermost tidy scope are released: a
// tensor the caller kept (keep()) or created outside stays, and with gradients enabled nothing is
// released (backward needs the activations).
import { isGradEnabled } from '../autograd/engine.js';
import { disposeIfScoped } from '../scope.js';
import type { Tensor } from '../tensor.js';
import type { Module } from './module.js';

/** Frees `t` early (see above) unless it is one of `inUse` (the call's input, a result). */
export function releaseIntermediate(t: Tensor, ...inUse: Tensor[]): void {
  if (!isGradEnabled() && !inUse.includes(t)) disposeIfScoped(t);
}

/** Runs `x` through `modules` in order, releasing each intermediate result as it is consumed. */
export function forwardInOrder(x: Tensor, modules: readonly Module[]): Tensor {
  let y = x;
  for (const m of modules) {
    const next = m.forward(y);
    if (y !== x) releaseIntermediate(y, next);
    y = next;
  }
  return y;
}
