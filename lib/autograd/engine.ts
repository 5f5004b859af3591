// Reverse-mode automatic differentiation over the graph that ops record: each op output that
// depends on a tensor requiring gradients gets a GradFn; backward() walks the graph in reverse
// topological order, sums the gradients that reach each tensor, and accumulates them into the
// .grad of leaves (parameters, or inputs as in FGSM).
import { ArgumentError, ShapeError } from '../errors.js';
import { native } from '../native.js';
import { keep, tidy } from '../scope.js';
import { fromHandle, shapeStr, Tensor } from '../tensor.js';
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

/** Attaches the gradient of an op to its output when any input requires gradients. */
export function record(out: Tensor, name: string, inputs: Tensor[], backward: (g: Tensor) => (Tensor | null)[]): Tensor {
  if (!needsGrad(...inputs)) return out;
  out.requiresGrad = true;
  out.gradFn = { name, inputs, backward } satisfies GradFn;
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

/**
 * Computes d root / d leaf for every leaf that requires gradients and adds it to leaf.grad.
 * root must hold one element unless `grad` (d loss / d root) is given.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new ArgumentError('backward(): the tensor does not require gradients (no parameter or input with requiresGrad reaches it)');
  if (!grad && root.numel !== 1)
    throw new ShapeError(`backward(): the tensor has shape ${shapeStr(root.shape)}; give the gradient explicitly or reduce it to one element first`);
  if (grad && grad.shape.join() !== root.shape.join())
    throw new ShapeError(`backward(): gradient of shape ${shapeStr(grad.shape)} for a tensor of shape ${shapeStr(root.shape)}`);
  const order = topoOrder(root);
  noGrad(() =>
    tidy(() => {
      const grads = new Map<Tensor, Tensor>();
      grads.set(root, grad ?? fromHandle(native.full(root.shape.slice(), 1, 'float32', root.device)));
      for (const t of order) {
        const g = grads.get(t);
        if (!g) continue;
        if (!t.gradFn) {
          // A leaf: accumulate, and keep the result alive beyond this scope.
          if (t.grad && !t.grad.disposed) {
            const sum = add(t.grad, g);
            t.grad.dispose();
            t.grad = keep(sum);
          } else {
            t.grad = keep(fromHandle(native.clone(g.handle)));
          }
          continue;
        }
        const inputGrads = t.gradFn.backward(g);
        t.gradFn.inputs.forEach((inp, i) => {
          const gi = inputGrads[i];
          if (!gi || !inp.requiresGrad) return;
          if (gi.shape.join() !== inp.shape.join())
            throw new ShapeError(`internal: ${t.gradFn!.name} produced a gradient of shape ${shapeStr(gi.shape)} for an input of shape ${shapeStr(inp.shape)}`);
          const prev = grads.get(inp);
          grads.set(inp, prev ? add(prev, gi) : gi);
        });
      }
    }),
  );
}
