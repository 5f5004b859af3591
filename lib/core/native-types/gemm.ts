// Typed surface of native/binding/ops_gemm.cpp.
import type { NativeTensor } from './core.js';

/** The activations of the fused linear layer (linearAct). */
export type LinearActName = 'none' | 'relu' | 'sigmoid' | 'tanh';

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
  /**
   * The fused linear layer: act(x @ weight^T + bias) for x [N, in], weight [out, in], bias [out]
   * (or null) -> [N, out], in one GEMM and one pass over its output, with the bits of matmul(x,
   * weight, false, true), add and the activation run separately. Throws ShapeError (ranks, feature
   * counts, bias length), ArgumentError (unknown act), DTypeError, DeviceError, DisposedError.
   */
  linearAct(x: NativeTensor, weight: NativeTensor, bias: NativeTensor | null, act: LinearActName): NativeTensor;
  /**
   * The gradients of linearAct for the upstream gradient dy [N, out]: [dx [N, in], dweight
   * [out, in], dbias [out]], each null unless asked for. y is linearAct's output (null allowed when
   * act is 'none'). The same GEMMs and bias reduction as the separate ops' gradients, so the same bits.
   */
  linearActBackward(
    x: NativeTensor,
    weight: NativeTensor,
    y: NativeTensor | null,
    dy: NativeTensor,
    act: LinearActName,
    needX: boolean,
    needWeight: boolean,
    needBias: boolean,
  ): [NativeTensor | null, NativeTensor | null, NativeTensor | null];
}
