// Matrix products and the linear layer, with gradients.
import { record } from '../autograd/engine.js';
import { native } from '../native.js';
import type { LinearActName } from '../native-types/gemm.js';
import { ShapeError } from '../errors.js';
import { fromHandle, shapeStr, Tensor } from '../tensor.js';
import { reshape } from './shape.js';
import { add } from './elementwise.js';

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
  const out = record(
    y,
    'linear',
    [x, weight],
    (g) => [x.requiresGrad ? mm(g, weight) : null, weight.requiresGrad ? mm(g, x, true, false) : null],
    { output: false },
  );
  return bias ? add(out, bias) : out;
}

export type { LinearActName };

/**
 * act(x @ weight^T + bias) as one op, forward and backward one native call each, for x [N, in],
 * weight [out, in], bias [out] (PyTorch's layout). Values and gradients are bit for bit those of
 * linear() then the activation op: the same GEMMs, the same bias add and activation math
 * (native/kernels/linear.h) and the same bias reduction; only the intermediate tensors and the
 * crossings between them are gone.
 */
export function linearAct(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, act: LinearActName): Tensor {
  const y = fromHandle(native.linearAct(x.handle, weight.handle, bias ? bias.handle : null, act));
  const inputs = bias ? [x, weight, bias] : [x, weight];
  // With no activation, backward never reads y, which may then go before it.
  const readsOutput = act !== 'none';
  return record(
    y,
    act === 'none' ? 'linear' : `linear+${act}`,
    inputs,
    (g) => {
      const [dx, dw, db] = native.linearActBackward(
        x.handle,
        weight.handle,
        readsOutput ? y.handle : null,
        g.handle,
        act,
        x.requiresGrad,
        weight.requiresGrad,
        !!bias?.requiresGrad,
      );
      const grads = [dx && fromHandle(dx), dw && fromHandle(dw)];
      if (bias) grads.push(db && fromHandle(db));
      return grads;
    },
    { output: readsOutput },
  );
}

/** One linear map per member in a single batched GEMM: y[m] = x[m] @ w[m]^T for x [M, B, F] and
 * w [M, O, F] (PyTorch's [out, in] weight layout); both backward products are batched GEMMs too. */
export function batchedLinear(x: Tensor, w: Tensor): Tensor {
  if (x.ndim !== 3 || w.ndim !== 3 || x.shape[0] !== w.shape[0] || x.shape[2] !== w.shape[2])
    throw new ShapeError(`batchedLinear: x must be [M, B, F] and w [M, O, F], got x ${shapeStr(x.shape)} and w ${shapeStr(w.shape)}`);
  const y = mm(x, w, false, true);
  return record(y, 'batchedLinear', [x, w], (g) => [
    // dx[m] = g[m] @ w[m]: [B, O] @ [O, F]
    x.requiresGrad ? mm(g, w) : null,
    // dw[m] = g[m]^T @ x[m]: [O, B] @ [B, F]
    w.requiresGrad ? mm(g, x, true, false) : null,
  ]);
}
