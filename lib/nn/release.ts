// Early release of intermediate activations. PyTorch frees an activation by reference counting
// once nothing refers to it; here a tensor lives until its tidy ends, so a ResNet18 forward pass
// at batch 1000 would hold every activation of the network at once (1.8 GB peak instead of about
// two layers' worth), and a training step would hold them all through backward. Under noGrad no
// graph holds on to an activation, so it is freed once the next layer has read it. With
// gradients, the recorded graph still needs it: it is marked, and backward() frees it right
// after its own gradient function has run (every consumer's has run before, in reverse order).
// Only tensors created in the innermost tidy scope are released: a tensor the caller kept
// (keep()) or created outside stays.
import { isGradEnabled } from '../autograd/engine.js';
import { disposeIfScoped, inInnermostScope } from '../scope.js';
import type { Tensor } from '../tensor.js';
import type { Module } from './module.js';

/** Frees `t` early (see above) unless it is one of `inUse` (the call's input, a result). */
export function releaseIntermediate(t: Tensor, ...inUse: Tensor[]): void {
  if (inUse.includes(t)) return;
  if (!isGradEnabled()) disposeIfScoped(t);
  else if (t.gradFn && inInnermostScope(t)) t.releaseAfterBackward = true;
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
