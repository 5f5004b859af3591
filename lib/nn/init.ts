// Weight initialisers, in place, with PyTorch's formulas (torch.nn.init).
import { ArgumentError } from '../core/errors.js';
import { copyInto } from '../core/ops/convert.js';
import { full, normal, uniform } from '../core/ops/creation.js';
import { defaultGenerator, RandomGenerator } from '../core/random.js';
import { Tensor } from '../core/tensor.js';

/** fan_in and fan_out of a Linear [out, in] or Conv [out, in/groups, kh, kw] weight. */
export function fans(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new ArgumentError(`init: fan in/out need a weight of at least 2 dimensions, got [${t.shape.join(', ')}]`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

function fillFrom(t: Tensor, kind: 'uniform' | 'normal', p1: number, p2: number, g: RandomGenerator): Tensor {
  const opts = { generator: g, device: t.device };
  const v = kind === 'uniform' ? uniform(t.shape, p1, p2, opts) : normal(t.shape, p1, p2, opts);
  copyInto(t, v);
  v.dispose();
  return t;
}

export const uniform_ = (t: Tensor, lo: number, hi: number, g = defaultGenerator) => fillFrom(t, 'uniform', lo, hi, g);
export const normal_ = (t: Tensor, mean: number, std: number, g = defaultGenerator) => fillFrom(t, 'normal', mean, std, g);

export function constant_(t: Tensor, v: number): Tensor {
  const f = full(t.shape, v, { dtype: t.dtype, device: t.device });
  copyInto(t, f);
  f.dispose();
  return t;
}

export type Nonlinearity = 'relu' | 'leaky_relu' | 'linear' | 'tanh' | 'sigmoid';

export function gain(nl: Nonlinearity, a = 0): number {
  switch (nl) {
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + a * a));
    case 'tanh':
      return 5 / 3;
    default:
      return 1;
  }
}

export interface KaimingOptions {
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
  generator?: RandomGenerator;
}

export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const [fi, fo] = fans(t);
  const std = gain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(o.mode === 'fan_out' ? fo : fi);
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound, o.generator);
}

export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const [fi, fo] = fans(t);
  const std = gain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(o.mode === 'fan_out' ? fo : fi);
  return normal_(t, 0, std, o.generator);
}

export function xavierUniform_(t: Tensor, g = 1, generator?: RandomGenerator): Tensor {
  const [fi, fo] = fans(t);
  const bound = g * Math.sqrt(6 / (fi + fo));
  return uniform_(t, -bound, bound, generator);
}

export function xavierNormal_(t: Tensor, g = 1, generator?: RandomGenerator): Tensor {
  const [fi, fo] = fans(t);
  return normal_(t, 0, g * Math.sqrt(2 / (fi + fo)), generator);
}

/**
 * PyTorch's default for Linear and Conv layers: kaiming_uniform(a=sqrt(5)) on the weight, i.e.
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same bound.
 */
export function defaultInit_(weight: Tensor, bias: Tensor | null, generator?: RandomGenerator): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias) {
    const bound = 1 / Math.sqrt(fans(weight)[0]);
    uniform_(bias, -bound, bound, generator);
  }
}

/** A zero-filled float32 tensor to be initialised in place. */
export function emptyParam(shape: number[], device: 'cpu' | 'cuda' = 'cpu'): Tensor {
  return full(shape, 0, { device });
}
