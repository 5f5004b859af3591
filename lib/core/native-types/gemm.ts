// Typed surface of native/binding/ops_gemm.cpp.
import type { NativeTensor } from './core.js';

export interface GemmOps {
  /**
   * op(a) @ op(b), float32. 2-D: a [M, K] ([K, M] when transA), b [K, N] ([N, K] when transB)
   * -> [M, N]. Batched: a [B, M, K] and/or b [B, K, N] -> [B, M, N]; a 2-D operand is shared by
   * every batch item. Throws ShapeError (ranks, inner dimensions, batch sizes), DTypeError,
   * DeviceError, DisposedError.
   */
  matmul(a: NativeTensor, b: NativeTensor, transA?: boolean, transB?: boolean): NativeTensor;
  /**
   * In place, all 2-D: c = alpha * op(a) @ op(b) + beta * c (gradient accumulation). With
   * beta = 0 the old contents of c are ignored, NaN included. c must not share storage with a or b.
   */
  gemmInto(c: NativeTensor, a: NativeTensor, b: NativeTensor, alpha: number, beta: number, transA?: boolean, transB?: boolean): void;
}
