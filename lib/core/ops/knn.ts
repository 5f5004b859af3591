// Exact k-nearest neighbours on integer pixel rows: squared distances and a top-k per test row
// in one native call (the projection pre-filter keeps it exact; see native/cpu/knn/knn_exact.cpp).
import { native } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';

/** The k nearest train rows of every test row: [indices int32 [m, k], squared distances int32 [m, k]]. */
export function knnExact(train: Tensor, test: Tensor, k: number, projDim: number): [Tensor, Tensor] {
  const [ix, d] = native.knnExact(train.handle, test.handle, k, projDim);
  return [fromHandle(ix), fromHandle(d)];
}
