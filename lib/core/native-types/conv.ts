// Typed surface of native/binding/ops_conv.cpp.
import type { NativeTensor } from './core.js';

/** The trailing convolution parameters every conv function takes (see ConvOps). */
export type ConvParams = [
  strideH: number,
  strideW: number,
  padH: number,
  padW: number,
  dilationH: number,
  dilationW: number,
  groups: number,
];

/** ConvParams, then the max pool's: kernel, stride and zero padding (a pad below half the kernel). */
export type ConvPoolParams = [
  ...conv: ConvParams,
  kernelH: number,
  kernelW: number,
  poolStrideH: number,
  poolStrideW: number,
  poolPadH: number,
  poolPadW: number,
];

/**
 * 2-D convolution, NCHW, weight [K, C/groups, R, S]. Every function takes the same trailing
 * parameters: strideH, strideW >= 1, padH, padW >= 0 (zero padding), dilationH, dilationW >= 1
 * and groups >= 1 (C and K divisible by it). The output is [N, K, OH, OW] with
 * OH = floor((H + 2*padH - dilationH*(R-1) - 1) / strideH) + 1 (likewise OW); a dilated kernel
 * larger than the padded input is a ShapeError. All tensors are float32 on one device.
 */
export interface ConvOps {
  /** y = conv2d(x [N, C, H, W], weight [K, C/groups, R, S]) + bias [K] (bias may be null). */
  conv2d(x: NativeTensor, weight: NativeTensor, bias: NativeTensor | null, ...params: ConvParams): NativeTensor;
  /** dL/dx of shape inputShape [N, C, H, W] from dy [N, K, OH, OW] and the weight. */
  conv2dBackwardInput(dy: NativeTensor, weight: NativeTensor, inputShape: number[], ...params: ConvParams): NativeTensor;
  /** dL/dweight of shape weightShape [K, C/groups, R, S] from the input x and dy. */
  conv2dBackwardWeight(x: NativeTensor, dy: NativeTensor, weightShape: number[], ...params: ConvParams): NativeTensor;
  /** dL/dbias [K]: dy [N, K, OH, OW] summed over N, OH and OW. */
  conv2dBackwardBias(dy: NativeTensor): NativeTensor;
  /**
   * maxPool2d(conv2d(x, weight, bias, ...), kernelH, ...) -> [y, indices], the convolution's output
   * made and pooled a block of images at a time, or by the backend's own kernel for the pair
   * (native/core/conv_pool.h): the two ops' values to float rounding, without the whole
   * convolution output in memory.
   */
  conv2dMaxPool2d(
    x: NativeTensor,
    weight: NativeTensor,
    bias: NativeTensor | null,
    ...params: ConvPoolParams | [...ConvPoolParams, withIndices: true, relu: boolean]
  ): [NativeTensor, NativeTensor];
  /**
   * The same without the indices (no gradient can follow: inference), and relu of the pooled
   * values when `relu`: [y, null].
   */
  conv2dMaxPool2d(
    x: NativeTensor,
    weight: NativeTensor,
    bias: NativeTensor | null,
    ...params: [...ConvPoolParams, withIndices: false, relu: boolean]
  ): [NativeTensor, null];
  /**
   * Backward of conv2dMaxPool2d from the pooled gradient dy and its indices: [dx (inputGrad) | null,
   * dweight, dbias (withBias) | null]. reluY: the forward's output when it applied relu (dy is then
   * the gradient of relu's output).
   */
  conv2dMaxPool2dBackward(
    dy: NativeTensor,
    indices: NativeTensor,
    x: NativeTensor,
    weight: NativeTensor,
    withBias: boolean,
    inputGrad: boolean,
    ...params: ConvPoolParams | [...ConvPoolParams, reluY: NativeTensor | null]
  ): [NativeTensor | null, NativeTensor, NativeTensor | null];
}
