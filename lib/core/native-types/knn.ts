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
  /**
   * The k nearest train rows of each query row by exact squared Euclidean distance over uint8
   * rows (raw images), computed in integers: int32 indices and int32 squared distances (pixel
   * units), both [m, k], nearest first; equal distances rank the lower train index first.
   * `projDim` (default 0) only changes the speed: the CPU backend skips train rows whose
   * distance, bounded from below in a projDim-dimensional principal projection with certified
   * rounding-error margins, provably exceeds the current k-th; 0 (or more than d / 2) searches
   * exhaustively. The
   * CUDA backend always searches exhaustively.
   * @throws DTypeError train or queries not uint8.
   * @throws ShapeError not 2-D, different row lengths, no train rows, or rows too long for int32 distances.
   * @throws ArgumentError k not an integer in [1, n], projDim not in [0, d].
   */
  knnExact(train: NativeTensor, queries: NativeTensor, k: number, projDim?: number): [indices: NativeTensor, distances: NativeTensor];
}
