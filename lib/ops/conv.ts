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

export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const [sh, sw] = pair(opts.stride ?? 1, 'stride', 'conv2d');
  const [ph, pw] = pair(opts.padding ?? 0, 'padding', 'conv2d');
  const [dh, dw] = pair(opts.dilation ?? 1, 'dilation', 'conv2d');
  const groups = opts.groups ?? 1;
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
