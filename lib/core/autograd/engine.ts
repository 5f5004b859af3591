// Reverse-mode automatic differentiation over the graph that ops record: each op output that
// depends on a tensor requiring gradients gets a GradFn; backward() walks the graph in reverse
// topological order, sums the gradients that reach each tensor, and accumulates them into the
// .grad of leaves (parameters, or inputs as in FGSM).
import { ArgumentError, DisposedError, ShapeError } from '../errors.js';
import { native } from '../native.js';
import { disposeFromScopes, keepWith, tidy } from '../scope.js';
import { fromHandle, sameShape, shapeStr, Tensor } from '../tensor.js';
import type { GradFn } from '../tensor.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording the graph (evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** True when an op on these inputs must record a GradFn. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/**
 * Attaches the gradient of an op to its output when any input requires gradients. `reads` says
 * what the backward does not read (both are read unless stated): activations nothing reads can be
 * freed during the forward pass (lib/nn/release.ts).
 */
export function record(
  out: Tensor,
  name: string,
  inputs: Tensor[],
  backward: (g: Tensor) => (Tensor | null)[],
  reads: { inputs?: boolean; output?: boolean } = {},
): Tensor {
  if (!needsGrad(...inputs)) return out;
  out.requiresGrad = true;
  out.gradFn = { name, inputs, backward, readsInputs: reads.inputs ?? true, readsOutput: reads.output ?? true } satisfies GradFn;
  return out;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: deep networks would overflow the JS stack with recursion.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.gradFn ? t.gradFn.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i];
      if (c.requiresGrad && !seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

function add(a: Tensor, b: Tensor): Tensor {
  return fromHandle(native.binary(a.handle, b.handle, 'add'));
}

export interface BackwardOptions {
  /**
   * Keep the activations modules marked for release (lib/nn/release.ts) so that backward can run
   * through the same graph again (PyTorch's retain_graph). Default false: each is freed as soon
   * as backward is done with it.
   */
  retainGraph?: boolean;
}

/** A gradient function whose saved activations were freed by an earlier backward(). */
function freedBackward(name: string): GradFn['backward'] {
  return () => {
    throw new ArgumentError(
      `backward(): trying to go through ${name} a second time, but its activations were freed after the first backward(); pass { retainGraph: true } to the first call`,
    );
  };
}

/**
 * Computes d root / d leaf for every leaf that requires gradients and adds it to leaf.grad.
 * root must hold one element unless `grad` (d loss / d root) is given.
 *
 * Memory: each gradient is freed once it has been passed on (PyTorch frees them by reference
 * counting), and so is every activation marked releaseAfterBackward once its own gradient
 * function has run, so the peak stays near the forward pass's instead of doubling.
 */
export function backward(root: Tensor, grad?: Tensor, o: BackwardOptions = {}): void {
  if (!root.requiresGrad)
    throw new ArgumentError('backward(): the tensor does not require gradients (no parameter or input with requiresGrad reaches it)');
  if (!grad && root.numel !== 1)
    throw new ShapeError(
      `backward(): the tensor has shape ${shapeStr(root.shape)}; give the gradient explicitly or reduce it to one element first`,
    );
  if (grad && !sameShape(grad.shape, root.shape))
    throw new ShapeError(`backward(): gradient of shape ${shapeStr(grad.shape)} for a tensor of shape ${shapeStr(root.shape)}`);
  const order = topoOrder(root);
  noGrad(() =>
    tidy(() => {
      const grads = new Map<Tensor, Tensor>();
      // How many entries of `grads` hold each gradient tensor: a gradient function may pass its
      // incoming gradient on unchanged, or give the same tensor to several inputs.
      const holders = new Map<Tensor, number>();
      const hold = (x: Tensor) => holders.set(x, (holders.get(x) ?? 0) + 1);
      const drop = (x: Tensor) => {
        const n = (holders.get(x) ?? 1) - 1;
        if (n > 0) {
          holders.set(x, n);
          return;
        }
        holders.delete(x);
        if (x !== grad) x.dispose(); // the caller's gradient is the caller's
      };
      const seed = grad ?? fromHandle(native.full(root.shape.slice(), 1, 'float32', root.device));
      grads.set(root, seed);
      hold(seed);
      for (const t of order) {
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        if (!t.gradFn) {
          // A leaf: accumulate, and keep the result alive beyond this scope.
          if (t.grad && !t.grad.disposed) {
            const sum = add(t.grad, g);
            t.grad.dispose();
            t.grad = keepWith(sum, t);
          } else if (g !== grad && holders.get(g) === 1) {
            // Nothing else holds g (and it is not the caller's gradient): the leaf keeps g itself
            // instead of a copy, unless a reshape of g is alive elsewhere (the native side checks).
            const h = native.takeOrClone(g.handle, true);
            if (h === g.handle) {
              holders.delete(g);
              t.grad = keepWith(g, t);
              continue;
            }
            t.grad = keepWith(fromHandle(h), t);
          } else {
            t.grad = keepWith(fromHandle(native.clone(g.handle)), t);
          }
          drop(g);
          continue;
        }
        let inputGrads: (Tensor | null)[];
        try {
          inputGrads = t.gradFn.backward(g);
        } catch (e) {
          if (e instanceof DisposedError)
            throw new ArgumentError(
              `backward(): ${t.gradFn.name} needs a tensor that was freed (${e.message}); was backward() already run through this graph? Pass { retainGraph: true } to the first call`,
            );
          throw e;
        }
        t.gradFn.inputs.forEach((inp, i) => {
          const gi = inputGrads[i];
          if (!gi || !inp.requiresGrad) return;
          if (!sameShape(gi.shape, inp.shape))
            throw new ShapeError(
              `internal: ${t.gradFn!.name} produced a gradient of shape ${shapeStr(gi.shape)} for an input of shape ${shapeStr(inp.shape)}`,
            );
          const prev = grads.get(inp);
          const next = prev ? add(prev, gi) : gi;
          grads.set(inp, next);
          hold(next);
          if (prev) drop(prev);
        });
        // Gradients nothing holds (summed into another, or for inputs that need none) go now.
        for (const gi of new Set(inputGrads)) if (gi && !holders.has(gi) && gi !== g && gi !== grad) gi.dispose();
        drop(g);
        if (t.releaseAfterBackward && t !== root && !o.retainGraph) {
          t.gradFn = { ...t.gradFn, backward: freedBackward(t.gradFn.name) };
          disposeFromScopes(t);
        }
      }
    }),
  );
}
