import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError } from '../../lib/core/errors.js';
import { expectClose, grad, native, numel, randomArray, tensor, testDevices, values } from '../support/op-test.js';

type Op = 'sum' | 'mean' | 'max' | 'min';

/** float64 reference of reduce over sorted, normalised axes. */
function reduceRef(x: ArrayLike<number>, shape: number[], op: Op, axes: number[], keepdim: boolean) {
  const ax = (axes.length ? axes : shape.map((_, i) => i)).map((a) => (a < 0 ? a + shape.length : a));
  const outKeep = shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const n = numel(outKeep);
  const acc = new Float64Array(n).fill(op === 'max' ? -Infinity : op === 'min' ? Infinity : 0);
  const cnt = numel(shape) / Math.max(n, 1);
  const idx = new Array(shape.length).fill(0);
  for (let flat = 0; flat < numel(shape); flat++) {
    let o = 0;
    for (let k = 0; k < shape.length; k++) o = o * outKeep[k] + (ax.includes(k) ? 0 : idx[k]);
    const v = x[flat];
    if (op === 'max') acc[o] = Number.isNaN(v) || Number.isNaN(acc[o]) ? NaN : Math.max(acc[o], v);
    else if (op === 'min') acc[o] = Number.isNaN(v) || Number.isNaN(acc[o]) ? NaN : Math.min(acc[o], v);
    else acc[o] += v;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  if (op === 'mean') for (let i = 0; i < n; i++) acc[i] /= cnt;
  const outShape = keepdim ? outKeep : shape.filter((_, i) => !ax.includes(i));
  return { shape: outShape, values: acc };
}

describe.each(testDevices())('reductions on %s', (device) => {
  const cases: [number[], number[]][] = [
    [[3, 4, 5], []],
    [[3, 4, 5], [0]],
    [[3, 4, 5], [1]],
    [[3, 4, 5], [2]],
    [[3, 4, 5], [-1]],
    [
      [3, 4, 5],
      [0, 2],
    ],
    [
      [3, 4, 5],
      [2, 1],
    ],
    [
      [3, 4, 5],
      [0, 1, 2],
    ],
    [
      [2, 3, 5, 7],
      [0, 2],
    ],
    [
      [2, 3, 5, 7],
      [1, 2, 3],
    ],
    [[7], [0]],
    [[1, 9, 1], [1]],
    [[], []],
  ];
  for (const op of ['sum', 'mean', 'max', 'min'] as Op[]) {
    it(`${op} matches a float64 reference over axis sets`, () => {
      cases.forEach(([shape, axes], k) => {
        const x = randomArray(numel(shape), 10 + k);
        for (const keepdim of [false, true]) {
          const ref = reduceRef(x, shape, op, axes, keepdim);
          const got = native.reduce(tensor(x, shape, device), op, axes, keepdim);
          expect(got.shape, `${op} ${shape} ${axes}`).toEqual(shape.length ? ref.shape : []);
          expectClose(values(got), ref.values, 1e-5, 1e-6, `${op} [${shape}] axes [${axes}] keepdim ${keepdim}`);
        }
      });
    });
  }

  it('long rows and long columns stay accurate (blocked partial sums)', () => {
    const x = randomArray(1000003, 1, 0, 1);
    const ref = reduceRef(x, [1000003], 'sum', [], false);
    expectClose(values(native.reduce(tensor(x, [1000003], device), 'sum')), ref.values, 2e-6, 0);
    const c = randomArray(20000 * 3, 2, 0, 1);
    const refc = reduceRef(c, [20000, 3], 'mean', [0], false);
    expectClose(values(native.reduce(tensor(c, [20000, 3], device), 'mean', [0])), refc.values, 2e-6, 0);
    const big = randomArray(64 * 20000, 3);
    const refr = reduceRef(big, [64, 20000], 'max', [1], false);
    expectClose(values(native.reduce(tensor(big, [64, 20000], device), 'max', [1])), refr.values, 0, 0);
  });

  it('is bit-identical whatever the thread count', () => {
    const x = randomArray(300001, 4);
    const t = tensor(x, [300001], device);
    const n = native.numThreads();
    // At least 2 threads on this side: under NNLAB_THREADS=1 it would compare 1 thread with itself.
    native.setNumThreads(Math.max(n, 2));
    const a = values(native.reduce(t, 'sum'));
    native.setNumThreads(1);
    const b = values(native.reduce(t, 'sum'));
    native.setNumThreads(n);
    expect(a[0]).toBe(b[0]);
  });

  it('handles zero-size tensors', () => {
    const z = native.full([0, 3], 0, 'float32', device);
    expect(Array.from(values(native.reduce(z, 'sum', [0])))).toEqual([0, 0, 0]);
    expect(values(native.reduce(z, 'mean', [0])).every(Number.isNaN)).toBe(true);
    expect(native.reduce(z, 'max', [1]).shape).toEqual([0]);
    expect(() => native.reduce(z, 'max', [0])).toThrow(ShapeError);
    expect(() => native.reduce(z, 'min')).toThrow(/axis 0 of size 0/);
    expect(() => native.argmax(z, 0)).toThrow(ShapeError);
    expect(native.reduce(z, 'sum').shape).toEqual([]);
  });

  it('max propagates NaN', () => {
    const x = tensor([1, NaN, 3, 4, 5, 6], [2, 3], device);
    const m = values(native.reduce(x, 'max', [1]));
    expect(Number.isNaN(m[0])).toBe(true);
    expect(m[1]).toBe(6);
    expect(Array.from(values(native.argmax(x, 1) as never))).toEqual([1, 2]);
  });

  it('argmax picks the first maximum along any axis', () => {
    const x = tensor([1, 5, 5, 2, 9, 9, 0, 9, 3, 3, 3, 3], [2, 2, 3], device);
    expect(Array.from(native.toTypedArray(native.argmax(x, -1)))).toEqual([1, 1, 1, 0]);
    expect(Array.from(native.toTypedArray(native.argmax(x, 0)))).toEqual([0, 1, 0, 1, 0, 0]);
    expect(Array.from(native.toTypedArray(native.argmax(x, 1)))).toEqual([1, 1, 1, 1, 0, 0]);
    expect(native.argmax(x, 1, true).shape).toEqual([2, 1, 3]);
    expect(native.argmax(x, 1).dtype).toBe('int32');
    const flat = native.argmax(x);
    expect(flat.shape).toEqual([]);
    expect(Array.from(native.toTypedArray(flat))).toEqual([4]);
    // Column argmax on a wide tensor (inner > chunk size).
    const w = randomArray(5 * 1100, 9);
    const got = native.toTypedArray(native.argmax(tensor(w, [5, 1100], device), 0));
    for (let i = 0; i < 1100; i++) {
      let best = 0;
      for (let d = 1; d < 5; d++) if (w[d * 1100 + i] > w[best * 1100 + i]) best = d;
      expect(got[i]).toBe(best);
    }
  });

  it('maxWithIndices gives values and indices, and its backward matches finite differences', () => {
    const shape = [3, 4, 5];
    const x = randomArray(numel(shape), 31);
    for (const axis of [0, 1, -1]) {
      const [v, i] = native.maxWithIndices(tensor(x, shape, device), axis, true);
      expectClose(values(v), reduceRef(x, shape, 'max', [axis], true).values, 0, 0);
      expect(i.dtype).toBe('int32');
      const w = randomArray(v.numel, 32);
      // Backward of max: scatter dy into the argmax positions.
      const dx = native.scatterAdd(native.full(shape, 0, 'float32', device), axis, i, tensor(w, v.shape, device));
      const f = (a: Float32Array) => grad.weightedSum(values(native.maxWithIndices(tensor(a, shape, device), axis, true)[0]), w);
      const idx = Array.from({ length: x.length }, (_, k) => k);
      grad.expectClose(values(dx), grad.numeric(f, x, 1e-3), idx, 1e-2, 2e-3, `axis ${axis}`);
    }
    expect(native.maxWithIndices(tensor(x, shape, device), 1)[0].shape).toEqual([3, 5]);
  });

  it('sumToShape sums broadcast axes back and is the adjoint of broadcasting', () => {
    const shape = [2, 3, 4];
    const x = randomArray(24, 41);
    const xt = tensor(x, shape, device);
    for (const target of [[3, 1], [4], [], [2, 3, 4], [1, 3, 1], [2, 1, 4], [1, 1, 1, 1].slice(1)]) {
      const got = native.sumToShape(xt, target);
      expect(got.shape).toEqual(target);
      // <sumToShape(x), v> == <x, broadcast(v)>
      const v = randomArray(numel(target), 42);
      const bv = values(native.binary(native.full(shape, 0, 'float32', device), tensor(v, target, device), 'add'));
      expect(grad.weightedSum(values(got), v)).toBeCloseTo(grad.weightedSum(x, bv), 4);
    }
    const copy = native.sumToShape(xt, shape);
    expect(copy.sharesStorageWith(xt)).toBe(false);
    expect(() => native.sumToShape(xt, [3])).toThrow(ShapeError);
    expect(() => native.sumToShape(xt, [5, 2, 3, 4])).toThrow(/cannot sum x of shape \[2, 3, 4\] to shape \[5, 2, 3, 4\]/);
  });

  it('typed errors for bad input', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3], device);
    expect(() => native.reduce(x, 'prod' as never)).toThrow(ArgumentError);
    expect(() => native.reduce(x, 'prod' as never)).toThrow(/sum, mean, max, min/);
    expect(() => native.reduce(x, 'sum', [2])).toThrow(ArgumentError);
    expect(() => native.reduce(x, 'sum', [-3])).toThrow(/out of range for a tensor of shape \[2, 3\]/);
    expect(() => native.reduce(x, 'sum', [1, -1])).toThrow(/twice/);
    expect(() => native.reduce(x, 'sum', [0.5])).toThrow(ArgumentError);
    expect(() => native.reduce(x, 'sum', [0], 1 as never)).toThrow(ArgumentError);
    expect(() => native.argmax(x, 2)).toThrow(ArgumentError);
    expect(() => native.reduce(native.fromTypedArray(Int32Array.from([1]), [1], device), 'sum')).toThrow(DTypeError);
  });
});

// noGradStats (lib/core/ops/reduce.ts) takes the variance over chunks to keep its temporaries
// small; the other side here is the one-shot mean(square(x - mean)) through the native calls, a
// different path whose block order the chunks must reproduce bit for bit (data normalised with
// these figures must not move). Sizes straddle the 8192-element blocks and 512-block chunks.
describe('noGradStats', () => {
  it('gives the bits of the one-shot mean and variance at every block and chunk boundary', async () => {
    const { noGradStats } = await import('../../lib/core/ops/reduce.js');
    const { fromHandle } = await import('../../lib/core/tensor.js');
    const oneShot = (h: ReturnType<typeof native.full>) => {
      const m = native.reduce(h, 'mean', [], false);
      const mean = (native.toTypedArray(m) as Float32Array)[0];
      const c = native.unary(h, 'affine', 1, -mean);
      const sq = native.unary(c, 'square');
      const v = native.reduce(sq, 'mean', [], false);
      const std = Math.sqrt((native.toTypedArray(v) as Float32Array)[0]);
      [m, c, sq, v].forEach((t) => t.dispose());
      return { mean, std };
    };
    const block = 8192,
      chunk = 512 * block;
    for (const n of [1, 5, block - 1, block, block + 1, chunk - 1, chunk, chunk + 3, 2 * chunk + block + 17]) {
      const h = native.fromTypedArray(randomArray(n, n, 0.5, 2), [n], 'cpu');
      const x = fromHandle(h);
      expect(noGradStats(x), `n = ${n}`).toEqual(oneShot(h));
      x.dispose();
    }
  });

  // noGradStatsOfBytes measures table[x] for bytes x without making it: the same figures as
  // noGradStats of the mapped tensor, bit for bit, at the same boundaries.
  it('of bytes through a table gives the bits of noGradStats of the mapped values', async () => {
    const { noGradStats, noGradStatsOfBytes } = await import('../../lib/core/ops/reduce.js');
    const { fromHandle } = await import('../../lib/core/tensor.js');
    const block = 8192,
      chunk = 512 * block;
    const table = fromHandle(native.fromTypedArray(randomArray(256, 7, -1, 3), [256], 'cpu'));
    for (const n of [1, 5, block - 1, block + 1, chunk + block + 3]) {
      let s = n;
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24;
      const x = fromHandle(native.fromTypedArray(bytes, [n], 'cpu'));
      const mapped = fromHandle(native.byteTable(x.handle, table.handle));
      expect(noGradStatsOfBytes(x, table), `n = ${n}`).toEqual(noGradStats(mapped));
      [x, mapped].forEach((t) => t.dispose());
    }
    table.dispose();
  });
});
