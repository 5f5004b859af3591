// One linear map per member in a single batched GEMM: y[m] = x[m] @ w[m]^T for x [M, B, F] and
// w [M, O, F] (PyTorch's [out, in] weight layout), with its gradient. The native matmul runs the
// M products in one call (batched, transposed right operand), as do both backward products.
import { record } from '../core/autograd/engine.js';
import { ShapeError } from '../core/errors.js';
import { native } from '../core/native.js';
import { fromHandle, shapeStr, Tensor } from '../core/tensor.js';

export function batchedLinear(x: Tensor, w: Tensor): Tensor {
  if (x.ndim !== 3 || w.ndim !== 3 || x.shape[0] !== w.shape[0] || x.shape[2] !== w.shape[2])
    throw new ShapeError(`batchedLinear: x must be [M, B, F] and w [M, O, F], got x ${shapeStr(x.shape)} and w ${shapeStr(w.shape)}`);
  const y = fromHandle(native.matmul(x.handle, w.handle, false, true));
  return record(y, 'batchedLinear', [x, w], (g) => [
    // dx[m] = g[m] @ w[m]: [B, O] @ [O, F]
    x.requiresGrad ? fromHandle(native.matmul(g.handle, w.handle, false, false)) : null,
    // dw[m] = g[m]^T @ x[m]: [O, B] @ [B, F]
    w.requiresGrad ? fromHandle(native.matmul(g.handle, x.handle, true, false)) : null,
  ]);
}
