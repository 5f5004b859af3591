import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, IndexOutOfRangeError, ShapeError } from '../../lib/core/errors.js';
import { expectClose, grad, native, numel, randomArray, rng, sampleIndices, tensor, testDevices, values } from '../support/op-test.js';

type Shape4 = [number, number, number, number];
interface Win {
  k: [number, number];
  s: [number, number];
  p: [number, number];
}

const WINDOWS: { name: string; x: Shape4; win: Win }[] = [
  { name: '3x3 stride 2 pad 1, odd sizes', x: [2, 3, 7, 9], win: { k: [3, 3], s: [2, 2], p: [1, 1] } },
  { name: '2x2 stride 2 (seed CNN)', x: [2, 2, 8, 8], win: { k: [2, 2], s: [2, 2], p: [0, 0] } },
  { name: 'rectangular 3x2 stride (1,2) pad 1', x: [1, 3, 10, 7], win: { k: [3, 2], s: [1, 2], p: [1, 1] } },
  { name: '5x4 stride (3,1) pad 2', x: [3, 2, 5, 6], win: { k: [5, 4], s: [3, 1], p: [2, 2] } },
  { name: 'overlapping 3x3 stride 1', x: [2, 2, 6, 5], win: { k: [3, 3], s: [1, 1], p: [0, 0] } },
];

const out = (i: number, k: number, s: number, p: number) => Math.floor((i + 2 * p - k) / s) + 1;

/** PyTorch's window of output o: clipped bounds and the count_include_pad divisor. */
function window(o: number, inSize: number, k: number, s: number, p: number) {
  let start = o * s - p;
  let end = Math.min(start + k, inSize + p);
  const padded = end - start;
  start = Math.max(start, 0);
  end = Math.min(end, inSize);
  return { start, end, padded };
}

function eachWindow(x: Shape4, w: Win, f: (plane: number, oi: number, cells: number[], padded: number) => void) {
  const [N, C, H, W] = x;
  const OH = out(H, w.k[0], w.s[0], w.p[0]),
    OW = out(W, w.k[1], w.s[1], w.p[1]);
  for (let pl = 0; pl < N * C; pl++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const hw = window(oh, H, w.k[0], w.s[0], w.p[0]),
          ww = window(ow, W, w.k[1], w.s[1], w.p[1]);
        const cells: number[] = [];
        for (let ih = hw.start; ih < hw.end; ih++) for (let iw = ww.start; iw < ww.end; iw++) cells.push(ih * W + iw);
        f(pl, (pl * OH + oh) * OW + ow, cells, hw.padded * ww.padded);
      }
  return [N, C, OH, OW];
}

function refMax(x: Float32Array, s: Shape4, w: Win) {
  const ys = eachWindow(s, w, () => {});
  const y = new Float32Array(numel(ys)),
    idx = new Int32Array(numel(ys));
  const hw = s[2] * s[3];
  eachWindow(s, w, (pl, oi, cells) => {
    let best = -Infinity,
      arg = cells[0];
    for (const c of cells) {
      const v = x[pl * hw + c];
      if (v > best || Number.isNaN(v)) {
        best = v;
        arg = c;
      }
    }
    y[oi] = best;
    idx[oi] = arg;
  });
  return { y, idx, ys };
}

function refAvg(x: Float32Array, s: Shape4, w: Win, includePad: boolean) {
  const ys = eachWindow(s, w, () => {});
  const y = new Float64Array(numel(ys));
  const hw = s[2] * s[3];
  eachWindow(s, w, (pl, oi, cells, padded) => {
    let sum = 0;
    for (const c of cells) sum += x[pl * hw + c];
    y[oi] = sum / (includePad ? padded : cells.length);
  });
  return y;
}

function refAvgBackward(dy: Float32Array, s: Shape4, w: Win, includePad: boolean) {
  const dx = new Float64Array(numel(s));
  const hw = s[2] * s[3];
  eachWindow(s, w, (pl, oi, cells, padded) => {
    for (const c of cells) dx[pl * hw + c] += dy[oi] / (includePad ? padded : cells.length);
  });
  return dx;
}

function eachBin(s: Shape4, OH: number, OW: number, f: (plane: number, oi: number, cells: number[]) => void) {
  const [N, C, H, W] = s;
  for (let pl = 0; pl < N * C; pl++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const h0 = Math.floor((oh * H) / OH),
          h1 = Math.ceil(((oh + 1) * H) / OH);
        const w0 = Math.floor((ow * W) / OW),
          w1 = Math.ceil(((ow + 1) * W) / OW);
        const cells: number[] = [];
        for (let ih = h0; ih < h1; ih++) for (let iw = w0; iw < w1; iw++) cells.push(ih * W + iw);
        f(pl, (pl * OH + oh) * OW + ow, cells);
      }
}

/** Values spaced 0.05 apart in random order: no two within the finite-difference step. */
function distinctArray(n: number, seed: number) {
  const r = rng(seed);
  const a = Float32Array.from({ length: n }, (_, i) => (i - n / 2) * 0.05);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

const winArgs = (w: Win) => [w.k[0], w.k[1], w.s[0], w.s[1], w.p[0], w.p[1]] as const;

describe.each(testDevices())('pooling on %s', (device) => {
  const T = (a: Float32Array, s: number[]) => tensor(a, s, device);

  describe.each(WINDOWS)('$name', ({ x: xs, win }) => {
    const x = distinctArray(numel(xs), 5);

    it('max pool: values, indices, backward (reference and finite differences)', () => {
      const [y, idx] = native.maxPool2d(T(x, xs), ...winArgs(win));
      const ref = refMax(x, xs, win);
      expect(y.shape).toEqual(ref.ys);
      expect(idx.dtype).toBe('int32');
      expect(Array.from(values(y))).toEqual(Array.from(ref.y));
      expect(Array.from(native.toTypedArray(idx))).toEqual(Array.from(ref.idx));
      const wr = randomArray(numel(ref.ys), 9);
      const dx = values(native.maxPool2dBackward(T(wr, ref.ys), idx, xs, ...winArgs(win)));
      const refDx = new Float64Array(x.length);
      const hw = xs[2] * xs[3];
      for (let i = 0; i < wr.length; i++) refDx[Math.floor(i / (ref.ys[2] * ref.ys[3])) * hw + ref.idx[i]] += wr[i];
      expectClose(dx, refDx, 1e-6, 1e-6, 'dx');
      const si = sampleIndices(x.length, 30, 3);
      const f = (xv: Float32Array) => grad.weightedSum(values(native.maxPool2d(T(xv, xs), ...winArgs(win))[0]), wr);
      grad.expectClose(dx, grad.numeric(f, Float32Array.from(x), 1e-2, si), si, 1e-2, 1e-3, 'dx numeric');
    });

    it.each([true, false])('avg pool (countIncludePad %s): forward, backward', (inc) => {
      const y = native.avgPool2d(T(x, xs), ...winArgs(win), inc);
      expectClose(values(y), refAvg(x, xs, win, inc), 1e-5, 1e-6, 'y');
      const wr = randomArray(y.numel, 9);
      const dx = values(native.avgPool2dBackward(T(wr, y.shape), xs, ...winArgs(win), inc));
      expectClose(dx, refAvgBackward(wr, xs, win, inc), 1e-5, 1e-6, 'dx');
      const si = sampleIndices(x.length, 30, 4);
      const f = (xv: Float32Array) => grad.weightedSum(values(native.avgPool2d(T(xv, xs), ...winArgs(win), inc)), wr);
      grad.expectClose(dx, grad.numeric(f, Float32Array.from(x), 1e-2, si), si, 1e-2, 1e-3, 'dx numeric');
    });
  });

  it('avg pool defaults to countIncludePad = true', () => {
    const x = randomArray(2 * 2 * 5 * 5, 1);
    const a = values(native.avgPool2d(T(x, [2, 2, 5, 5]), 3, 3, 2, 2, 1, 1));
    expectClose(a, refAvg(x, [2, 2, 5, 5], { k: [3, 3], s: [2, 2], p: [1, 1] }, true), 1e-5, 1e-6);
  });

  it('max pool: first index wins ties, padding never wins, NaN propagates', () => {
    const [y, idx] = native.maxPool2d(T(new Float32Array(4).fill(-5), [1, 1, 2, 2]), 2, 2, 1, 1, 1, 1);
    expect(Array.from(values(y))).toEqual(new Array(9).fill(-5));
    expect(Array.from(native.toTypedArray(idx))).toEqual([0, 0, 1, 0, 0, 1, 2, 2, 3]);
    const [yn, idn] = native.maxPool2d(T(Float32Array.from([1, NaN, 3, 2]), [1, 1, 2, 2]), 2, 2, 2, 2, 0, 0);
    expect(Number.isNaN(values(yn)[0])).toBe(true);
    expect(native.toTypedArray(idn)[0]).toBe(1);
    const [yi] = native.maxPool2d(T(new Float32Array(4).fill(-Infinity), [1, 1, 2, 2]), 2, 2, 2, 2, 0, 0);
    expect(values(yi)[0]).toBe(-Infinity);
  });

  describe.each([
    { x: [2, 3, 7, 9] as Shape4, o: [3, 4] },
    { x: [2, 2, 5, 5] as Shape4, o: [7, 8] },
    { x: [1, 2, 6, 6] as Shape4, o: [3, 3] },
    { x: [3, 2, 4, 5] as Shape4, o: [1, 1] },
    { x: [3, 5, 1, 1] as Shape4, o: [1, 1] },
    { x: [2, 3, 4, 3] as Shape4, o: [4, 3] },
  ])('adaptive avg pool $x -> $o', ({ x: xs, o }) => {
    it('forward and backward match the reference and finite differences', () => {
      const x = randomArray(numel(xs), 7);
      const y = native.adaptiveAvgPool2d(T(x, xs), o[0], o[1]);
      expect(y.shape).toEqual([xs[0], xs[1], o[0], o[1]]);
      const ref = new Float64Array(y.numel);
      const hw = xs[2] * xs[3];
      eachBin(xs, o[0], o[1], (pl, oi, cells) => {
        for (const c of cells) ref[oi] += x[pl * hw + c] / cells.length;
      });
      expectClose(values(y), ref, 1e-5, 1e-6, 'y');
      const wr = randomArray(y.numel, 8);
      const dx = values(native.adaptiveAvgPool2dBackward(T(wr, y.shape), xs));
      const refDx = new Float64Array(x.length);
      eachBin(xs, o[0], o[1], (pl, oi, cells) => {
        for (const c of cells) refDx[pl * hw + c] += wr[oi] / cells.length;
      });
      expectClose(dx, refDx, 1e-5, 1e-6, 'dx');
      const si = sampleIndices(x.length, 30, 5);
      const f = (xv: Float32Array) => grad.weightedSum(values(native.adaptiveAvgPool2d(T(xv, xs), o[0], o[1])), wr);
      grad.expectClose(dx, grad.numeric(f, Float32Array.from(x), 1e-2, si), si, 1e-2, 1e-3, 'dx numeric');
    });
  });

  it('is deterministic', () => {
    const x = T(randomArray(8 * 16 * 26 * 26, 3), [8, 16, 26, 26]);
    const bits = (t: ReturnType<typeof native.clone>) => Buffer.from(values(t).buffer);
    const [y1] = native.maxPool2d(x, 2, 2, 2, 2, 0, 0),
      [y2] = native.maxPool2d(x, 2, 2, 2, 2, 0, 0);
    expect(bits(y1).equals(bits(y2))).toBe(true);
    const a1 = native.avgPool2dBackward(native.avgPool2d(x, 3, 3, 1, 1, 1, 1), [8, 16, 26, 26], 3, 3, 1, 1, 1, 1);
    const a2 = native.avgPool2dBackward(native.avgPool2d(x, 3, 3, 1, 1, 1, 1), [8, 16, 26, 26], 3, 3, 1, 1, 1, 1);
    expect(bits(a1).equals(bits(a2))).toBe(true);
  });

  it('rejects bad input with typed errors naming shapes', () => {
    const x = T(randomArray(2 * 3 * 6 * 6, 1), [2, 3, 6, 6]);
    expect(() => native.maxPool2d(x, 3, 3, 1, 1, 2, 0)).toThrow(ArgumentError);
    expect(() => native.maxPool2d(x, 3, 3, 1, 1, 2, 0)).toThrow(/padding 2x0 must be at most half of the kernel 3x3/);
    expect(() => native.maxPool2d(x, 9, 2, 1, 1, 1, 0)).toThrow(ShapeError);
    expect(() => native.maxPool2d(x, 9, 2, 1, 1, 1, 0)).toThrow(/kernel 9x2 is larger than the padded input 8x6 of 'x' \[2, 3, 6, 6\]/);
    expect(() => native.maxPool2d(x, 0, 2, 1, 1, 0, 0)).toThrow(ArgumentError);
    expect(() => native.maxPool2d(x, 2, 2, 0, 1, 0, 0)).toThrow(/strideH/);
    expect(() => native.avgPool2d(x, 2, 2, 1, 1, -1, 0)).toThrow(ArgumentError);
    expect(() => native.avgPool2d(x, 2, 2, 1, 1, 0, 0, 'yes' as never)).toThrow(/countIncludePad/);
    expect(() => native.maxPool2d(T(randomArray(36, 1), [6, 6]), 2, 2, 2, 2, 0, 0)).toThrow(
      /'x' must be 4-D \(N, C, H, W\), got shape \[6, 6\]/,
    );
    const xi = native.fromTypedArray(new Int32Array(36), [1, 1, 6, 6], device);
    expect(() => native.maxPool2d(xi, 2, 2, 2, 2, 0, 0)).toThrow(DTypeError);
    const [y, idx] = native.maxPool2d(x, 2, 2, 2, 2, 0, 0);
    expect(() => native.maxPool2dBackward(y, idx, [2, 3, 8, 8], 2, 2, 2, 2, 0, 0)).toThrow(ShapeError);
    expect(() => native.maxPool2dBackward(y, y, [2, 3, 6, 6], 2, 2, 2, 2, 0, 0)).toThrow(DTypeError);
    const badIdx = native.fromTypedArray(new Int32Array(idx.numel).fill(36), idx.shape, device);
    expect(() => native.maxPool2dBackward(y, badIdx, [2, 3, 6, 6], 2, 2, 2, 2, 0, 0)).toThrow(IndexOutOfRangeError);
    expect(() => native.maxPool2dBackward(y, badIdx, [2, 3, 6, 6], 2, 2, 2, 2, 0, 0)).toThrow(/is 36, outside the 6x6 plane/);
    const shortIdx = native.fromTypedArray(new Int32Array(4), [1, 1, 2, 2], device);
    expect(() => native.maxPool2dBackward(y, shortIdx, [2, 3, 6, 6], 2, 2, 2, 2, 0, 0)).toThrow(
      /'indices' \[1, 1, 2, 2\] must have the shape of 'dy' \[2, 3, 3, 3\]/,
    );
    expect(() => native.avgPool2dBackward(y, [2, 3, 6, 6], 3, 3, 1, 1, 0, 0)).toThrow(/pooled shape \[2, 3, 4, 4\].*got \[2, 3, 3, 3\]/);
    expect(() => native.adaptiveAvgPool2d(x, 0, 2)).toThrow(ArgumentError);
    expect(() => native.adaptiveAvgPool2dBackward(y, [2, 4, 6, 6])).toThrow(ShapeError);
    expect(() => native.adaptiveAvgPool2dBackward(y, [2, 3, 6])).toThrow(ShapeError);
  });
});
