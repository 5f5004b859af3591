// Max, average and adaptive average pooling over NCHW tensors, with gradients.
import { record } from '../autograd/engine.js';
import { native } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';
import { pair } from './util.js';

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
  return record(
    y,
    'maxPool2d',
    [x],
    (g) => [fromHandle(native.maxPool2dBackward(g.handle, indices.handle, x.shape.slice(), kh, kw, sh, sw, ph, pw))],
    { inputs: false, output: false },
  );
}

export function avgPool2d(x: Tensor, kernel: number | [number, number], opts: Pool2dOptions & { countIncludePad?: boolean } = {}): Tensor {
  const [kh, kw] = pair(kernel, 'kernel', 'avgPool2d');
  const [sh, sw] = pair(opts.stride ?? [kh, kw], 'stride', 'avgPool2d');
  const [ph, pw] = pair(opts.padding ?? 0, 'padding', 'avgPool2d');
  const cip = opts.countIncludePad ?? true;
  const y = fromHandle(native.avgPool2d(x.handle, kh, kw, sh, sw, ph, pw, cip));
  return record(
    y,
    'avgPool2d',
    [x],
    (g) => [fromHandle(native.avgPool2dBackward(g.handle, x.shape.slice(), kh, kw, sh, sw, ph, pw, cip))],
    { inputs: false, output: false },
  );
}

export function adaptiveAvgPool2d(x: Tensor, output: number | [number, number]): Tensor {
  const [oh, ow] = pair(output, 'output size', 'adaptiveAvgPool2d');
  const y = fromHandle(native.adaptiveAvgPool2d(x.handle, oh, ow));
  return record(y, 'adaptiveAvgPool2d', [x], (g) => [fromHandle(native.adaptiveAvgPool2dBackward(g.handle, x.shape.slice()))], {
    inputs: false,
    output: false,
  });
}
