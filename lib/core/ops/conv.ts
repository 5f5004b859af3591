// Convolution and pooling over NCHW tensors, with gradients.
import { record } from '../autograd/engine.js';
import { native } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';
import { pair } from './util.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}

/** strideH, strideW, padH, padW, dilationH, dilationW, groups: the native ops' trailing arguments. */
function convParams(opts: Conv2dOptions, op: string): [number, number, number, number, number, number, number] {
  return [...pair(opts.stride ?? 1, 'stride', op), ...pair(opts.padding ?? 0, 'padding', op), ...pair(opts.dilation ?? 1, 'dilation', op), opts.groups ?? 1];
}

export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const [sh, sw, ph, pw, dh, dw, groups] = convParams(opts, 'conv2d');
  const y = fromHandle(native.conv2d(x.handle, weight.handle, bias ? bias.handle : null, sh, sw, ph, pw, dh, dw, groups));
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, 'conv2d', inputs, (g) => [
    x.requiresGrad ? fromHandle(native.conv2dBackwardInput(g.handle, weight.handle, x.shape.slice(), sh, sw, ph, pw, dh, dw, groups)) : null,
    weight.requiresGrad ? fromHandle(native.conv2dBackwardWeight(x.handle, g.handle, weight.shape.slice(), sh, sw, ph, pw, dh, dw, groups)) : null,
    ...(bias ? [bias.requiresGrad ? fromHandle(native.conv2dBackwardBias(g.handle)) : null] : []),
  ], { output: false });
}

export interface Pool2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
}

export function maxPool2d(x: Tensor, kernel: number | [number, number], opts: Pool2dOptions = {}): Tensor {
  const [kh, kw] = pair(kernel, 'kernel', 'maxPool2d');
  const [sh, sw] = pair(opts.stride ?? [kh, kw], 'stride', 'maxPool2d');
  const [ph, pw] = pair(opts.padding ?? 0, 'padding', 'maxPool2d');
  const [yh, idxh] = native.maxPool2d(x.handle, kh, kw, sh, sw, ph, pw);
  const y = fromHandle(yh);
  const indices = fromHandle(idxh);
  return record(y, 'maxPool2d', [x], (g) => [
    fromHandle(native.maxPool2dBackward(g.handle, indices.handle, x.shape.slice(), kh, kw, sh, sw, ph, pw)),
  ], { inputs: false, output: false });
}

/**
 * maxPool2d(conv2d(x, weight, bias, convOpts), kernel, poolOpts) as one op: the same values and
 * gradients (to float rounding: sums are taken a block of images at a time) without the
 * convolution's whole output in memory. The convolution's output is made, pooled and, in backward,
 * rebuilt from the pooled gradient a block of images at a time, in cache. Sequential runs a Conv2d
 * followed by MaxPool2d this way (lib/nn/layers.ts).
 */
export function conv2dMaxPool2d(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, convOpts: Conv2dOptions,
  kernel: number | [number, number], poolOpts: Pool2dOptions = {}): Tensor {
  const conv = convParams(convOpts, 'conv2dMaxPool2d');
  const [kh, kw] = pair(kernel, 'kernel', 'conv2dMaxPool2d');
  const pool: [number, number, number, number, number, number] =
    [kh, kw, ...pair(poolOpts.stride ?? [kh, kw], 'stride', 'conv2dMaxPool2d'), ...pair(poolOpts.padding ?? 0, 'padding', 'conv2dMaxPool2d')];
  const [yh, idxh] = native.conv2dMaxPool2d(x.handle, weight.handle, bias ? bias.handle : null, ...conv, ...pool);
  const y = fromHandle(yh);
  const indices = fromHandle(idxh);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, 'conv2dMaxPool2d', inputs, (g) => {
    const [dx, dw, db] = native.conv2dMaxPool2dBackward(g.handle, indices.handle, x.handle, weight.handle, !!bias, x.requiresGrad, ...conv, ...pool);
    return [dx && fromHandle(dx), fromHandle(dw), ...(db ? [fromHandle(db)] : [])];
  }, { output: false });
}

export function avgPool2d(x: Tensor, kernel: number | [number, number], opts: Pool2dOptions & { countIncludePad?: boolean } = {}): Tensor {
  const [kh, kw] = pair(kernel, 'kernel', 'avgPool2d');
  const [sh, sw] = pair(opts.stride ?? [kh, kw], 'stride', 'avgPool2d');
  const [ph, pw] = pair(opts.padding ?? 0, 'padding', 'avgPool2d');
  const cip = opts.countIncludePad ?? true;
  const y = fromHandle(native.avgPool2d(x.handle, kh, kw, sh, sw, ph, pw, cip));
  return record(y, 'avgPool2d', [x], (g) => [
    fromHandle(native.avgPool2dBackward(g.handle, x.shape.slice(), kh, kw, sh, sw, ph, pw, cip)),
  ], { inputs: false, output: false });
}

export function adaptiveAvgPool2d(x: Tensor, output: number | [number, number]): Tensor {
  const [oh, ow] = pair(output, 'output size', 'adaptiveAvgPool2d');
  const y = fromHandle(native.adaptiveAvgPool2d(x.handle, oh, ow));
  return record(y, 'adaptiveAvgPool2d', [x], (g) => [fromHandle(native.adaptiveAvgPool2dBackward(g.handle, x.shape.slice()))],
    { inputs: false, output: false });
}
