// A convolution and the max pooling after it as one op (native family conv_pool).
import { needsGrad, record } from '../autograd/engine.js';
import { native } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';
import { Conv2dOptions, convParams } from './conv.js';
import type { Pool2dOptions } from './pool.js';
import { pair } from './util.js';

/**
 * maxPool2d(conv2d(x, weight, bias, convOpts), kernel, poolOpts) as one op: the same values and
 * gradients (to float rounding: sums are taken a block of images at a time) without the
 * convolution's whole output in memory. The convolution's output is made, pooled and, in backward,
 * rebuilt from the pooled gradient a block of images at a time, in cache. Sequential runs a Conv2d
 * followed by MaxPool2d this way (lib/nn/layers.ts). `relu` gives relu of the result, applied in
 * the same pass, and its gradient is taken in the op's backward; where no gradient will be taken
 * (inference) the pooling indices, which only the backward reads, are never written out.
 */
export function conv2dMaxPool2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  convOpts: Conv2dOptions,
  kernel: number | [number, number],
  poolOpts: Pool2dOptions = {},
  opts: { relu?: boolean } = {},
): Tensor {
  const conv = convParams(convOpts, 'conv2dMaxPool2d');
  const [kh, kw] = pair(kernel, 'kernel', 'conv2dMaxPool2d');
  const pool: [number, number, number, number, number, number] = [
    kh,
    kw,
    ...pair(poolOpts.stride ?? [kh, kw], 'stride', 'conv2dMaxPool2d'),
    ...pair(poolOpts.padding ?? 0, 'padding', 'conv2dMaxPool2d'),
  ];
  if (!needsGrad(x, weight, bias)) {
    const [y] = native.conv2dMaxPool2d(x.handle, weight.handle, bias ? bias.handle : null, ...conv, ...pool, false, !!opts.relu);
    return fromHandle(y);
  }
  return withIndices(x, weight, bias, conv, pool, !!opts.relu);
}

function withIndices(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  conv: ReturnType<typeof convParams>,
  pool: [number, number, number, number, number, number],
  relu: boolean,
): Tensor {
  const [yh, idxh] = native.conv2dMaxPool2d(x.handle, weight.handle, bias ? bias.handle : null, ...conv, ...pool, true, relu);
  const y = fromHandle(yh);
  const indices = fromHandle(idxh);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(
    y,
    'conv2dMaxPool2d',
    inputs,
    (g) => {
      const [dx, dw, db] = native.conv2dMaxPool2dBackward(
        g.handle,
        indices.handle,
        x.handle,
        weight.handle,
        !!bias,
        x.requiresGrad,
        ...conv,
        ...pool,
        relu ? y.handle : null,
      );
      return [dx && fromHandle(dx), fromHandle(dw), ...(db ? [fromHandle(db)] : [])];
    },
    // With relu the backward reads the output: relu's gradient is taken off it.
    { output: relu },
  );
}
