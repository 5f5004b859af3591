// Fused optimizer steps: one native call updates every parameter in place. The optimizers in
// lib/optim keep their hyper-parameters and buffers; the arithmetic lives here, beside the other ops.
import { ArgumentError } from '../errors.js';
import { native } from '../native.js';
import type { Tensor } from '../tensor.js';

export interface AdamStepOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: weight decay applied to the weights directly instead of through the gradient. */
  decoupled: boolean;
  /** 1 at the first step (bias correction). */
  step: number;
}

function checkLists(op: string, lists: Record<string, readonly Tensor[] | null>, n: number): void {
  for (const [name, l] of Object.entries(lists))
    if (l && l.length !== n) throw new ArgumentError(`${op}: ${name} has ${l.length} tensors for ${n} parameters`);
}

/** Adam / AdamW over parameters with their gradients and first/second moment buffers, in place. */
export function adamStep(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  m: readonly Tensor[],
  v: readonly Tensor[],
  o: AdamStepOptions,
): void {
  checkLists('adamStep', { grads, m, v }, params.length);
  native.adamStep(
    params.map((t) => t.handle),
    grads.map((t) => t.handle),
    m.map((t) => t.handle),
    v.map((t) => t.handle),
    o.lr,
    o.beta1,
    o.beta2,
    o.eps,
    o.weightDecay,
    o.decoupled,
    o.step,
  );
}

export interface SgdStepOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** The momentum buffers take the gradient itself at the first step (PyTorch's rule). */
  firstStep: boolean;
}

/** SGD with momentum / Nesterov / L2 weight decay over parameters, in place. */
export function sgdStep(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  momentumBuffers: readonly Tensor[] | null,
  o: SgdStepOptions,
): void {
  checkLists('sgdStep', { grads, momentumBuffers }, params.length);
  native.sgdStep(
    params.map((t) => t.handle),
    grads.map((t) => t.handle),
    momentumBuffers ? momentumBuffers.map((t) => t.handle) : null,
    o.lr,
    o.momentum,
    o.dampening,
    o.weightDecay,
    o.nesterov,
    o.firstStep,
  );
}

/**
 * Folds parameters into their running averages in place, `avg = keep * avg + take * param`, in
 * one native call over the whole list: the same float32 bits as `add(mul(avg, keep), mul(param, take))`
 * per tensor (each product rounded on its own, then the sum), without their temporaries.
 */
export function emaUpdate(avg: readonly Tensor[], params: readonly Tensor[], keep: number, take: number): void {
  checkLists('emaUpdate', { params }, avg.length);
  native.emaUpdate(
    avg.map((t) => t.handle),
    params.map((t) => t.handle),
    keep,
    take,
  );
}
