// Typed surface of native/binding/ops_knn.cpp.
import type { NativeTensor } from './core.js';

export interface KnnOps {
  /**
   * Squared Euclidean distances d[i, j] = ||a_i - b_j||^2 of float32 a [m, d] and b [n, d], computed
   * as ||a_i||^2 + ||b_j||^2 - 2 a_i . b_j (one GEMM) and clamped at 0; returns [m, n].
   * @throws ShapeError a or b not 2-D, or different feature dimensions.
   */
  pairwiseSqDist(a: NativeTensor, b: NativeTensor): NativeTensor;
  /**
   * The k smallest (largest = false) or largest values of each row of float32 x [rows, cols], and
   * their int32 column indices, both [rows, k], sorted best first. Ties are broken by the lower
   * column index (so results are deterministic); NaN counts as larger than every number, as in
   * torch.topk.
   * @throws ArgumentError k not an integer in [1, cols].
   */
  topk(x: NativeTensor, k: number, largest: boolean): [values: NativeTensor, indices: NativeTensor];
}
