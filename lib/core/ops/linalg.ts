// Matrix products and the linear layer, with gradients.
import { record } from '../autograd/engine.js';
import { native } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';
import { reshape } from './shape.js';
import { add } from './elementwise.js';
import { sumTo } from './util.js';

const mm = (a: Tensor, b: Tensor, ta = false, tb = false) => fromHandle(native.matmul(a.handle, b.handle, ta, tb));

/** a @ b for 2-D, or batched 3-D (b may be 2-D and shared across the batch). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const y = mm(a, b);
  return record(y, 'matmul', [a, b], (g) => {
    const ga = a.requiresGrad ? mm(g, b, false, true) : null;
    let gb: Tensor | null = null;
    if (b.requiresGrad) {
      if (a.ndim === 3 && b.ndim === 2) {
        // Shared right operand: sum over the batch, i.e. one product over stacked rows.
        const a2 = reshape(a, [a.shape[0] * a.shape[1], a.shape[2]]);
        const g2 = reshape(g, [g.shape[0] * g.shape[1], g.shape[2]]);
        gb = mm(a2, g2, true, false);
      } else {
        gb = mm(a, g, true, false);
      }
    }
    return [ga, gb];
  });
}

/** x @ weight^T + bias, with x [N, in], weight [out, in], bias [out] (PyTorch's layout). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const y = mm(x, weight, false, true);
  const out = record(y, 'linear', [x, weight], (g) => [
    x.requiresGrad ? mm(g, weight) : null,
    weight.requiresGrad ? mm(g, x, true, false) : null,
  ], { output: false });
  return bias ? add(out, bias) : out;
}

