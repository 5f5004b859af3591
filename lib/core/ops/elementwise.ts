// Elementwise ops with broadcasting, and their gradients.
import { record } from '../autograd/engine.js';
import { native } from '../native.js';
import type { UnaryOpName } from '../native-types/elementwise.js';
import { fromHandle, Tensor } from '../tensor.js';
import { asTensor, Operand, sumTo } from './util.js';

function unaryOp(x: Tensor, op: UnaryOpName, alpha = 0, beta = 0): Tensor {
  const y = fromHandle(native.unary(x.handle, op, alpha, beta));
  // ReLU's derivative tests x > 0, and y > 0 exactly where x > 0: reading y instead lets the
  // input go as soon as the forward pass is past it.
  if (op === 'relu')
    return record(y, op, [x], (g) => [fromHandle(native.unaryBackward(y.handle, y.handle, g.handle, op, alpha, beta))], { inputs: false });
  return record(y, op, [x], (g) => [fromHandle(native.unaryBackward(x.handle, y.handle, g.handle, op, alpha, beta))]);
}

export const neg = (x: Tensor) => unaryOp(x, 'neg');
export const exp = (x: Tensor) => unaryOp(x, 'exp');
export const log = (x: Tensor) => unaryOp(x, 'log');
export const log1p = (x: Tensor) => unaryOp(x, 'log1p');
export const sqrt = (x: Tensor) => unaryOp(x, 'sqrt');
export const rsqrt = (x: Tensor) => unaryOp(x, 'rsqrt');
export const abs = (x: Tensor) => unaryOp(x, 'abs');
export const sign = (x: Tensor) => unaryOp(x, 'sign');
export const square = (x: Tensor) => unaryOp(x, 'square');
export const reciprocal = (x: Tensor) => unaryOp(x, 'reciprocal');
export const sin = (x: Tensor) => unaryOp(x, 'sin');
export const cos = (x: Tensor) => unaryOp(x, 'cos');
export const relu = (x: Tensor) => unaryOp(x, 'relu');
export const leakyRelu = (x: Tensor, slope = 0.01) => unaryOp(x, 'leakyRelu', slope);
export const elu = (x: Tensor, alpha = 1) => unaryOp(x, 'elu', alpha);
export const sigmoid = (x: Tensor) => unaryOp(x, 'sigmoid');
export const tanh = (x: Tensor) => unaryOp(x, 'tanh');
export const gelu = (x: Tensor) => unaryOp(x, 'gelu');
export const softplus = (x: Tensor) => unaryOp(x, 'softplus');
/** x clamped to [lo, hi] (gradient 1 inside, 0 outside). */
export const clamp = (x: Tensor, lo = -Infinity, hi = Infinity) => unaryOp(x, 'clamp', lo, hi);
/** alpha * x + beta. */
export const affine = (x: Tensor, alpha: number, beta: number) => unaryOp(x, 'affine', alpha, beta);

function binaryGrad(name: string, a: Tensor, b: Tensor, out: Tensor, grads: (g: Tensor) => [Tensor | null, Tensor | null]) {
  return record(out, name, [a, b], (g) => {
    const [ga, gb] = grads(g);
    return [ga && a.requiresGrad ? sumTo(ga, a.shape) : null, gb && b.requiresGrad ? sumTo(gb, b.shape) : null];
  });
}

const raw = (a: Tensor, b: Tensor, op: Parameters<typeof native.binary>[2]) => fromHandle(native.binary(a.handle, b.handle, op));

export function add(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return affine(a, 1, b);
  return binaryGrad('add', a, b, raw(a, b, 'add'), (g) => [g, g]);
}

export function sub(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return affine(a, 1, -b);
  return binaryGrad('sub', a, b, raw(a, b, 'sub'), (g) => [g, b.requiresGrad ? neg(g) : null]);
}

export function mul(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return affine(a, b, 0);
  return binaryGrad('mul', a, b, raw(a, b, 'mul'), (g) => [
    a.requiresGrad ? raw(g, b, 'mul') : null,
    b.requiresGrad ? raw(g, a, 'mul') : null,
  ]);
}

export function div(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return affine(a, 1 / b, 0);
  const out = raw(a, b, 'div');
  return binaryGrad('div', a, b, out, (g) => [
    a.requiresGrad ? raw(g, b, 'div') : null,
    // d(a/b)/db = -a/b^2 = -out/b
    b.requiresGrad ? neg(raw(raw(g, out, 'mul'), b, 'div')) : null,
  ]);
}

export function pow(a: Tensor, b: Operand): Tensor {
  if (typeof b === 'number') return unaryOp(a, 'pow', b);
  const out = raw(a, b, 'pow');
  return binaryGrad('pow', a, b, out, (g) => [
    a.requiresGrad ? raw(raw(g, b, 'mul'), raw(a, affine(b, 1, -1), 'pow'), 'mul') : null,
    b.requiresGrad ? raw(raw(g, out, 'mul'), log(a), 'mul') : null,
  ]);
}

/** Elementwise max; on ties the gradient is shared equally, as in PyTorch. */
export function maximum(a: Tensor, b: Operand): Tensor {
  const bt = asTensor(b, a);
  const out = raw(a, bt, 'maximum');
  return binaryGrad('maximum', a, bt, out, (g) => {
    const wa = raw(raw(a, bt, 'gt'), affine(raw(a, bt, 'eq'), 0.5, 0), 'add');
    return [raw(g, wa, 'mul'), raw(g, affine(wa, -1, 1), 'mul')];
  });
}

export function minimum(a: Tensor, b: Operand): Tensor {
  const bt = asTensor(b, a);
  const out = raw(a, bt, 'minimum');
  return binaryGrad('minimum', a, bt, out, (g) => {
    const wa = raw(raw(a, bt, 'lt'), affine(raw(a, bt, 'eq'), 0.5, 0), 'add');
    return [raw(g, wa, 'mul'), raw(g, affine(wa, -1, 1), 'mul')];
  });
}

// Comparisons give float32 0/1 and carry no gradient.
export const eq = (a: Tensor, b: Operand) => raw(a, asTensor(b, a), 'eq');
export const ne = (a: Tensor, b: Operand) => raw(a, asTensor(b, a), 'ne');
export const lt = (a: Tensor, b: Operand) => raw(a, asTensor(b, a), 'lt');
export const le = (a: Tensor, b: Operand) => raw(a, asTensor(b, a), 'le');
export const gt = (a: Tensor, b: Operand) => raw(a, asTensor(b, a), 'gt');
export const ge = (a: Tensor, b: Operand) => raw(a, asTensor(b, a), 'ge');

/** cond ? a : b with broadcasting; cond is a uint8 tensor or a float 0/1 mask. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const like = typeof a === 'number' ? (typeof b === 'number' ? cond : b) : a;
  const at = asTensor(a, like),
    bt = asTensor(b, like);
  const c = cond.dtype === 'uint8' ? cond : fromHandle(native.cast(cond.handle, 'uint8'));
  const out = fromHandle(native.where(c.handle, at.handle, bt.handle));
  return record(out, 'where', [at, bt], (g) => {
    const zero = fromHandle(native.full([], 0, 'float32', g.device));
    return [
      at.requiresGrad ? sumTo(fromHandle(native.where(c.handle, g.handle, zero.handle)), at.shape) : null,
      bt.requiresGrad ? sumTo(fromHandle(native.where(c.handle, zero.handle, g.handle)), bt.shape) : null,
    ];
  });
}
