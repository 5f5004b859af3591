// Typed surface of native/binding/ops_pool.cpp.
import type { NativeTensor } from './core.js';

/** The window arguments every pooling op takes, in this order. */
export type PoolWindow = [kernelH: number, kernelW: number, strideH: number, strideW: number, padH: number, padW: number];

/**
 * 2-D pooling over float32 NCHW tensors with PyTorch's conventions (ceil_mode = false):
 * OH = floor((H + 2*padH - kernelH) / strideH) + 1 (likewise OW). Kernels and strides >= 1,
 * 0 <= pad <= kernel/2 (ArgumentError otherwise); a kernel larger than the padded input is a
 * ShapeError.
 */
export interface PoolOps {
  /**
   * Max pooling; padding counts as -Infinity. Returns [y, indices]: indices (int32, shape of y)
   * hold the flat ih*W + iw position of each maximum inside its (n, c) plane, the first one on
   * ties (NaN propagates).
   */
  maxPool2d(x: NativeTensor, ...window: PoolWindow): [NativeTensor, NativeTensor];
  /** dx [inputShape] with dy routed to the recorded maxima (indices checked to lie inside their plane). */
  maxPool2dBackward(dy: NativeTensor, indices: NativeTensor, inputShape: number[], ...window: PoolWindow): NativeTensor;
  /**
   * Average pooling. countIncludePad (default true, as PyTorch) divides by the window size
   * clipped to the padded input; false divides by the number of real input cells.
   */
  avgPool2d(x: NativeTensor, ...args: [...PoolWindow, countIncludePad?: boolean]): NativeTensor;
  avgPool2dBackward(dy: NativeTensor, inputShape: number[], ...args: [...PoolWindow, countIncludePad?: boolean]): NativeTensor;
  /** Adaptive average pooling to [N, C, outH, outW]; bin i spans [floor(i*H/outH), ceil((i+1)*H/outH)). */
  adaptiveAvgPool2d(x: NativeTensor, outH: number, outW: number): NativeTensor;
  /** dx [inputShape] from dy [N, C, outH, outW]. */
  adaptiveAvgPool2dBackward(dy: NativeTensor, inputShape: number[]): NativeTensor;
}
