// 2-D convolution over NCHW tensors, with its gradient.
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
export function convParams(opts: Conv2dOptions, op: string): [number, number, number, number, number, number, number] {
  return [
    ...pair(opts.stride ?? 1, 'stride', op),
    ...pair(opts.padding ?? 0, 'padding', op),
    ...pair(opts.dilation ?? 1, 'dilation', op),
    opts.groups ?? 1,
  ];
}

export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const [sh, sw, ph, pw, dh, dw, groups] = convParams(opts, 'conv2d');
  const y = fromHandle(native.conv2d(x.handle, weight.handle, bias ? bias.handle : null, sh, sw, ph, pw, dh, dw, groups));
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(
    y,
    'conv2d',
    inputs,
    (g) => [
      x.requiresGrad
        ? fromHandle(native.conv2dBackwardInput(g.handle, weight.handle, x.shape.slice(), sh, sw, ph, pw, dh, dw, groups))
        : null,
      weight.requiresGrad
        ? fromHandle(native.conv2dBackwardWeight(x.handle, g.handle, weight.shape.slice(), sh, sw, ph, pw, dh, dw, groups))
        : null,
      ...(bias ? [bias.requiresGrad ? fromHandle(native.conv2dBackwardBias(g.handle)) : null] : []),
    ],
    { output: false },
  );
}
