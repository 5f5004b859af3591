// Early release of intermediate activations. PyTorch frees an activation by reference counting
// once nothing refers to it; here a tensor lives until its tidy ends, so a ResNet18 forward pass
// at batch 1000 would hold every activation of the network at once (1.8 GB peak instead of about
// two layers' worth), and a training step would hold them all through backward. Under noGrad no
// graph holds on to an activation, so it is freed once the next layer has read it. With
// gradients, the recorded graph still needs it: it is marked, and backward() frees it right
// after its own gradient function has run (every consumer's has run before, in reverse order).
// Some activations need not wait for backward: a convolution's output that only a max-pool reads
// (whose backward needs the pooling indices, not the values) is freed as soon as the pool has run.
// Only tensors created in the innermost tidy scope are released: a tensor the caller kept
// (keep()) or created outside stays.
import { isGradEnabled } from '../core/autograd/engine.js';
import { disposeIfScoped, inInnermostScope } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { runModule } from './module.js';
import type { Module } from './module.js';

/**
 * The forward methods that apply exactly one op to their input (MaxPool2d, ReLU, ...; registered
 * by lib/nn/layers.ts): that op's gradient function is then the input's only reader in the module.
 * A subclass that overrides forward is not in the set.
 */
export const oneOpForwards = new Set<(x: Tensor) => Tensor>();

/**
 * With gradients on, frees `y` right after `m` consumed it into `next` when nothing will read its
 * values again: m applies one op whose backward reads only y's shape, and y's own backward does not
 * read its output. Returns whether y was freed.
 */
function freeUnread(y: Tensor, m: Module, next: Tensor): boolean {
  const consumer = next.gradFn,
    producer = y.gradFn;
  if (!consumer || !producer || !oneOpForwards.has(m.forward)) return false;
  if (consumer.readsInputs !== false || producer.readsOutput !== false) return false;
  if (consumer.inputs.length !== 1 || consumer.inputs[0] !== y) return false;
  return disposeIfScoped(y);
}

/** Frees `t` early (see above) unless it is one of `inUse` (the call's input, a result). */
export function releaseIntermediate(t: Tensor, ...inUse: Tensor[]): void {
  if (inUse.includes(t)) return;
  if (!isGradEnabled()) disposeIfScoped(t);
  else if (t.gradFn && inInnermostScope(t)) t.releaseAfterBackward = true;
}

type Forward = (x: Tensor) => Tensor;
const cheaperFirst = new Map<Forward, Forward>();

/**
 * Declares that a layer whose forward is `second`, listed right after one whose forward is
 * `first`, may run before it: second(first(x)) equals first(second(x)) exactly, values and
 * gradients, and running `second` first is cheaper. ReLU then MaxPool2d is such a pair (lib/nn/
 * layers.ts): max and relu are both exact and monotone, so pooling first picks the same maxima
 * (ties and NaN included, relu passing NaN) and relu then runs on a quarter of the values: in a
 * CNN written in PyTorch's order (conv, ReLU, pool), relu forward and backward no longer pass over
 * the whole convolution output (77 MB per step for conv1 of a batched 7-member seed CNN).
 */
export function registerCommutingPair(first: Forward, second: Forward): void {
  cheaperFirst.set(first, second);
}

/** Runs two layers as one op on x, or returns null where that does not apply. */
export type FusedForward = (first: Module, second: Module, x: Tensor) => Tensor | null;
const fusedPairs = new Map<Forward, Map<Forward, FusedForward>>();

/**
 * Declares that a layer whose forward is `first`, followed (after the swaps above) by one whose
 * forward is `second`, may run as `run(firstLayer, secondLayer, x)`: one op giving the same values
 * and gradients (to float rounding) with less memory traffic. Conv2d then MaxPool2d is such a pair
 * (lib/nn/layers.ts): the convolution's output then never exists whole.
 */
export function registerFusedPair(first: Forward, second: Forward, run: FusedForward): void {
  const seconds = fusedPairs.get(first) ?? new Map<Forward, FusedForward>();
  seconds.set(second, run);
  fusedPairs.set(first, seconds);
}

/** Runs three layers as one op on x, or returns null where that does not apply. */
export type FusedTriple = (first: Module, second: Module, third: Module, x: Tensor) => Tensor | null;
const fusedTriples = new Map<Forward, Map<Forward, Map<Forward, FusedTriple>>>();

/**
 * As registerFusedPair, for three layers in a row (after the swaps above): Conv2d, MaxPool2d then
 * ReLU runs as one op where no gradient is taken, relu applied while each block is in cache.
 * Tried before the pair of its first two.
 */
export function registerFusedTriple(first: Forward, second: Forward, third: Forward, run: FusedTriple): void {
  const seconds = fusedTriples.get(first) ?? new Map<Forward, Map<Forward, FusedTriple>>();
  const thirds = seconds.get(second) ?? new Map<Forward, FusedTriple>();
  thirds.set(third, run);
  seconds.set(second, thirds);
  fusedTriples.set(first, seconds);
}

/** Runs `x` through `modules` in order, releasing each intermediate result as it is consumed. */
export function forwardInOrder(x: Tensor, modules: readonly Module[]): Tensor {
  const order: Module[] = [];
  for (let i = 0; i < modules.length; ++i) {
    const m = modules[i],
      after = modules[i + 1];
    // A hooked layer runs as written, so its hooks see the values PyTorch's would.
    const hooked = m.hooks || after?.hooks;
    if (after && !hooked && cheaperFirst.get(m.forward) === after.forward) {
      order.push(after, m);
      ++i;
    } else {
      order.push(m);
    }
  }
  let y = x;
  // A hooked layer's input and output may be held by its hooks: they are not released early.
  let heldByHook = false;
  const finish = (next: Tensor, m: Module | null) => {
    const held = heldByHook || !!m?.hooks;
    if (y !== x && !held && !(m && isGradEnabled() && freeUnread(y, m, next))) releaseIntermediate(y, next);
    heldByHook = !!m?.hooks;
    y = next;
  };
  for (let i = 0; i < order.length; ++i) {
    const m = order[i],
      after = order[i + 1],
      third = order[i + 2];
    const plain = after && !m.hooks && !after.hooks;
    const triple =
      plain && third && !third.hooks ? fusedTriples.get(m.forward)?.get(after.forward)?.get(third.forward)?.(m, after, third, y) : null;
    if (triple) {
      finish(triple, null);
      i += 2;
      continue;
    }
    const fused = plain ? fusedPairs.get(m.forward)?.get(after.forward)?.(m, after, y) : null;
    if (fused) {
      finish(fused, null);
      ++i;
    } else {
      finish(m.hooks ? runModule(m, y) : m.forward(y), m);
    }
  }
  return y;
}
