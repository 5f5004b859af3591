// PyTorch-style hooks on modules by qualified name ("4", "features.3", "layer4"): forward hooks
// see (and may replace) a module's output; full backward hooks see the gradients at the module's
// output and input. They fire where modules run through call(), Sequential or forwardInOrder.
import { record } from '../core/autograd/engine.js';
import { ArgumentError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import type { Tensor } from '../core/tensor.js';
import type { ForwardHook, ForwardPreHook, Module } from '../nn/module.js';

export interface HookHandle {
  /** Unregisters the hook (safe to call twice). */
  remove(): void;
}

/** fn(output, input, module); returning a tensor replaces the module's output. */
export type OutputHook = (output: Tensor, input: Tensor, module: Module) => Tensor | void;

/**
 * fn(gradInput, gradOutput, module): d root / d input (null where the input needs no gradient)
 * and d root / d output. The tensors live only during the call: copy what you keep.
 */
export type BackwardHook = (gradInput: Tensor | null, gradOutput: Tensor, module: Module) => void;

/** The sub-module of `model` with qualified name `name` ('' is the model itself). */
export function moduleByName(model: Module, name: string): Module {
  for (const [n, m] of model.namedModules()) if (n === name) return m;
  const names = model
    .namedModules()
    .map(([n]) => n)
    .filter((n) => n);
  throw new ArgumentError(`no module named '${name}' in ${model.constructor.name}; its modules are: ${names.join(', ')}`);
}

function addHook(m: Module, pre: ForwardPreHook | null, post: ForwardHook | null): HookHandle {
  m.hooks ??= { pre: [], post: [] };
  if (pre) m.hooks.pre.push(pre);
  if (post) m.hooks.post.push(post);
  return {
    remove() {
      const h = m.hooks;
      if (!h) return;
      if (pre) h.pre = h.pre.filter((f) => f !== pre);
      if (post) h.post = h.post.filter((f) => f !== post);
      if (!h.pre.length && !h.post.length) m.hooks = null;
    },
  };
}

/** Like torch's module.register_forward_hook, with the module found by name. */
export function registerForwardHook(model: Module, name: string, fn: OutputHook): HookHandle {
  return addHook(moduleByName(model, name), null, (m, input, output) => fn(output, input, m));
}

/** Same storage and values as x; its gradient passes through `onGrad` on the way back. */
function gradientTap(x: Tensor, name: string, onGrad: (g: Tensor) => void): Tensor {
  return record(ops.detach(x), name, [x], (g) => {
    onGrad(g);
    return [g];
  });
}

/**
 * Like torch's module.register_full_backward_hook: fn gets the gradients at the module's input
 * and output during backward(). The output's gradient arrives first; fn runs once the input's
 * has arrived too (or at once when the input needs no gradient).
 */
export function registerFullBackwardHook(model: Module, name: string, fn: BackwardHook): HookHandle {
  let pendingOutputGrad: Tensor | null = null;
  const pre: ForwardPreHook = (m, input) => {
    if (!input.requiresGrad) return;
    return gradientTap(input, 'backwardHookInput', (g) => {
      if (pendingOutputGrad) fn(g, pendingOutputGrad, m);
      pendingOutputGrad?.dispose();
      pendingOutputGrad = null;
    });
  };
  const post: ForwardHook = (m, input, output) => {
    if (!output.requiresGrad) return;
    return gradientTap(output, 'backwardHookOutput', (g) => {
      // A copy: the module's own backward frees g before the input's gradient exists.
      if (input.requiresGrad) pendingOutputGrad = ops.clone(g);
      else fn(null, g, m);
    });
  };
  return addHook(moduleByName(model, name), pre, post);
}

/** Removes every handle (in a finally block after an explanation). */
export function removeAll(handles: readonly HookHandle[]): void {
  for (const h of handles) h.remove();
}
