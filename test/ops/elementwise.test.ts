import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError, DeviceError } from '../../lib/core/errors.js';
import { expectClose, grad, native, numel, randomArray, tensor, testDevices, values } from '../support/op-test.js';

// float64 references -----------------------------------------------------------------------

/** erf to ~1e-12 (series for small |x|, continued fraction of erfc for large). */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = x,
      term = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/(x sqrt(pi)) * 1/(1+ 1/(2x^2)/(1+ 2/(2x^2)/(1+ ...))) via Lentz-free backward recursion.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const unaryRef: Record<string, (x: number, a: number, b: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  abs: Math.abs,
  sign: Math.sign,
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  sin: Math.sin,
  cos: Math.cos,
  relu: (x) => Math.max(x, 0),
  leakyRelu: (x, a) => (x > 0 ? x : a * x),
  elu: (x, a) => (x > 0 ? x : a * (Math.exp(x) - 1)),
  sigmoid,
  tanh: Math.tanh,
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  softplus: (x) => (x > 20 ? x : Math.log1p(Math.exp(x))),
  affine: (x, a, b) => a * x + b,
  pow: (x, a) => Math.pow(x, a),
  clamp: (x, a, b) => Math.min(Math.max(x, a), b),
};
// Inputs kept inside each op's domain and away from its kinks (so finite differences are valid).
const positive = new Set(['log', 'sqrt', 'rsqrt', 'reciprocal', 'pow', 'log1p']);
const params: Record<string, [number, number]> = {
  leakyRelu: [0.1, 0],
  elu: [1.3, 0],
  affine: [2.5, -0.75],
  pow: [2.7, 0],
  clamp: [-0.4, 0.5],
};

function inputsFor(op: string, n: number, seed: number): Float32Array {
  const x = randomArray(n, seed, -3, 3);
  for (let i = 0; i < n; i++) {
    if (positive.has(op)) x[i] = 0.3 + Math.abs(x[i]);
    if (Math.abs(x[i]) < 0.05) x[i] += 0.1; // the kink of relu/abs/sign/leakyRelu/elu
    if (op === 'clamp' && (Math.abs(x[i] + 0.4) < 0.05 || Math.abs(x[i] - 0.5) < 0.05)) x[i] += 0.12;
  }
  if (op === 'softplus') {
    x[0] = 25;
    x[1] = -25;
  } // both sides of torch's threshold
  return x;
}

function broadcastShape(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da !== db && da !== 1 && db !== 1) throw new Error('bad test shapes');
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Flat index into `shape` of output multi-index `idx` (of the broadcast rank), broadcasting size-1 axes. */
function srcIndex(idx: number[], shape: number[]): number {
  const lead = idx.length - shape.length;
  let flat = 0;
  for (let k = 0; k < shape.length; k++) flat = flat * shape[k] + (shape[k] === 1 ? 0 : idx[k + lead]);
  return flat;
}

function forEachIndex(shape: number[], fn: (idx: number[], flat: number) => void) {
  const n = numel(shape);
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    fn(idx, flat);
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
}

const binaryRef: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  eq: (a, b) => +(a === b),
  ne: (a, b) => +(a !== b),
  lt: (a, b) => +(a < b),
  le: (a, b) => +(a <= b),
  gt: (a, b) => +(a > b),
  ge: (a, b) => +(a >= b),
};

function binaryExpected(op: string, a: Float32Array, as: number[], b: Float32Array, bs: number[]) {
  const out = broadcastShape(as, bs);
  const r = new Float64Array(numel(out));
  forEachIndex(out, (idx, flat) => {
    r[flat] = binaryRef[op](a[srcIndex(idx, as)], b[srcIndex(idx, bs)]);
  });
  return { out, r };
}

/** Values on a coarse grid so eq/ne/le/ge see ties. */
function gridArray(n: number, seed: number, positiveOnly = false) {
  const x = randomArray(n, seed, positiveOnly ? 0.5 : -2, 2);
  for (let i = 0; i < n; i++) x[i] = Math.round(x[i] * 4) / 4 || 0.25;
  return x;
}

describe.each(testDevices())('elementwise on %s', (device) => {
  it('lists its op names', () => {
    expect(native.unaryOps()).toEqual(Object.keys(unaryRef));
    expect(native.binaryOps()).toEqual(Object.keys(binaryRef));
  });

  it.each(Object.keys(unaryRef))('unary %s matches a float64 reference', (op) => {
    const shape = [3, 7, 5];
    const x = inputsFor(op, numel(shape), 11);
    const [a, b] = params[op] ?? [0, 0];
    const y = values(native.unary(tensor(x, shape, device), op as never, a, b));
    expectClose(
      y,
      Array.from(x, (v) => unaryRef[op](v, a, b)),
      2e-6,
      1e-6,
      op,
    );
  });

  it('unary runs the parallel path on large inputs', () => {
    const x = randomArray(200003, 3, -4, 4);
    const y = values(native.unary(tensor(x, [200003], device), 'sigmoid'));
    expectClose(y, Array.from(x, sigmoid), 1e-6, 1e-7);
  });

  it.each(Object.keys(unaryRef).filter((o) => o !== 'sign'))('unaryBackward %s matches finite differences', (op) => {
    const shape = [2, 5];
    const n = numel(shape);
    const x = inputsFor(op, n, 21);
    if (op === 'softplus') {
      x[0] = 25.5;
      x[1] = -25.5;
    }
    const w = randomArray(n, 22);
    const [a, b] = params[op] ?? [0, 0];
    const f = (v: Float32Array) => grad.weightedSum(values(native.unary(tensor(v, shape, device), op as never, a, b)), w);
    const xt = tensor(x, shape, device);
    const y = native.unary(xt, op as never, a, b);
    const dy = tensor(w, shape, device);
    const idx = Array.from({ length: n }, (_, i) => i);
    const num = grad.numeric(f, x, 1e-2);
    grad.expectClose(values(native.unaryBackward(xt, y, dy, op as never, a, b)), num, idx, 1e-2, 2e-3, op);
    // y = null recomputes f(x) first.
    grad.expectClose(values(native.unaryBackward(xt, null, dy, op as never, a, b)), num, idx, 1e-2, 2e-3, op);
  });

  it('sign has a zero derivative', () => {
    const x = tensor([-2, 0.5, 3], [3], device);
    expect(Array.from(values(native.unaryBackward(x, null, tensor([1, 1, 1], [3], device), 'sign')))).toEqual([0, 0, 0]);
  });

  const patterns: [number[], number[]][] = [
    [
      [3, 5],
      [3, 5],
    ], // same shape
    [
      [3, 1, 5],
      [4, 1],
    ], // both sides broadcast
    [[], [2, 3]], // scalar on the left
    [[2, 3], [1]], // scalar on the right
    [[4, 3], [3]], // row broadcast
    [
      [4, 1],
      [4, 3],
    ], // column broadcast
    [
      [2, 1, 3, 1],
      [1, 4, 1, 5],
    ],
    [
      [2, 3, 4, 5],
      [3, 1, 5],
    ],
    [[0, 3], [3]], // empty result
    [[1, 1, 1], [1]],
  ];
  it.each(Object.keys(binaryRef))('binary %s broadcasts like NumPy', (op) => {
    patterns.forEach(([as, bs], k) => {
      const a = gridArray(numel(as), 100 + k, op === 'pow');
      const b = gridArray(numel(bs), 200 + k, op === 'div');
      const { out, r } = binaryExpected(op, a, as, b, bs);
      const got = native.binary(tensor(a, as, device), tensor(b, bs, device), op as never);
      expect(got.shape, `${op} ${as} ${bs}`).toEqual(out);
      expectClose(values(got), r, 1e-6, 1e-6, `${op} [${as}] vs [${bs}]`);
    });
  });

  it('binary fast paths on large inputs match the general path', () => {
    const cases: [number[], number[]][] = [
      [
        [300, 257],
        [300, 257],
      ],
      [[300, 257], [257]],
      [
        [300, 257],
        [300, 1],
      ],
      [[300, 257], []],
      [
        [7, 1, 257],
        [1, 300, 1],
      ],
    ];
    cases.forEach(([as, bs], k) => {
      const a = randomArray(numel(as), 300 + k),
        b = randomArray(numel(bs), 400 + k);
      for (const op of ['add', 'mul', 'maximum']) {
        const { r } = binaryExpected(op, a, as, b, bs);
        expectClose(values(native.binary(tensor(a, as, device), tensor(b, bs, device), op as never)), r, 1e-6, 1e-6, op);
      }
    });
  });

  it('maximum and minimum propagate NaN', () => {
    const a = tensor([NaN, 1, 2], [3], device),
      b = tensor([0, NaN, 1], [3], device);
    const mx = values(native.binary(a, b, 'maximum'));
    expect(Number.isNaN(mx[0]) && Number.isNaN(mx[1])).toBe(true);
    expect(mx[2]).toBe(2);
  });

  it('where broadcasts cond, a and b together', () => {
    const cs = [3, 1],
      as = [1, 4],
      bs: number[] = [];
    const c = Uint8Array.from([1, 0, 1]);
    const a = randomArray(4, 5),
      b = Float32Array.from([-7]);
    const got = native.where(native.fromTypedArray(c, cs, device), tensor(a, as, device), tensor(b, bs, device));
    expect(got.shape).toEqual([3, 4]);
    const exp: number[] = [];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) exp.push(c[i] ? a[j] : -7);
    expectClose(values(got), exp, 0, 0);
    const same = native.where(
      native.fromTypedArray(Uint8Array.from([0, 2]), [2], device),
      tensor([1, 2], [2], device),
      tensor([3, 4], [2], device),
    );
    expect(Array.from(values(same))).toEqual([3, 2]);
  });

  it('typed errors for bad input', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3], device);
    expect(() => native.binary(x, tensor([1, 2], [2], device), 'add')).toThrow(ShapeError);
    expect(() => native.binary(x, tensor([1, 2], [2], device), 'add')).toThrow(/\[2, 3\].*\[2\]/);
    expect(() => native.binary(x, x, 'plus' as never)).toThrow(ArgumentError);
    expect(() => native.binary(x, x, 'plus' as never)).toThrow(/add, sub, mul/);
    expect(() => native.unary(x, 'cube' as never)).toThrow(/valid: neg, exp/);
    expect(() => native.unary(native.fromTypedArray(Int32Array.from([1]), [1], device), 'neg')).toThrow(DTypeError);
    expect(() => native.unary({} as never, 'neg')).toThrow(ArgumentError);
    expect(() => native.unary(x, 'clamp', 1, 0)).toThrow(ArgumentError);
    expect(() => native.unary(x, 'affine', NaN, 0)).toThrow(ArgumentError);
    expect(() => native.unaryBackward(x, null, tensor([1], [1], device), 'exp')).toThrow(ShapeError);
    expect(() => native.where(tensor([1, 0], [2], device), x, x)).toThrow(DTypeError);
    expect(() => native.where(native.fromTypedArray(Uint8Array.from([1, 0]), [2], device), x, x)).toThrow(ShapeError);
    if (native.cudaStatus().available) {
      const other = device === 'cpu' ? 'cuda' : 'cpu';
      expect(() => native.binary(x, tensor([1], [1], other), 'add')).toThrow(DeviceError);
    }
  });
});
