import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, IndexOutOfRangeError, ShapeError } from '../../lib/core/errors.js';
import { expectClose, grad, native, numel, randomArray, randomInts, tensor, testDevices, values } from '../support/op-test.js';

function view(shape: number[], axis: number) {
  const ax = axis < 0 ? axis + shape.length : axis;
  return { outer: numel(shape.slice(0, ax)), dim: shape[ax], inner: numel(shape.slice(ax + 1)), ax };
}

function indexSelectRef(x: Float32Array, shape: number[], axis: number, idx: ArrayLike<number>) {
  const { outer, dim, inner } = view(shape, axis);
  const out = new Float64Array(outer * idx.length * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < idx.length; j++)
      for (let i = 0; i < inner; i++) out[(o * idx.length + j) * inner + i] = x[(o * dim + idx[j]) * inner + i];
  return out;
}

function gatherRef(x: Float32Array, shape: number[], axis: number, idx: Int32Array, idxShape: number[]) {
  const { outer, dim, inner, ax } = view(shape, axis);
  const nj = idxShape[ax];
  const out = new Float64Array(idx.length);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < nj; j++)
      for (let i = 0; i < inner; i++) {
        const k = (o * nj + j) * inner + i;
        out[k] = x[(o * dim + idx[k]) * inner + i];
      }
  return out;
}

describe.each(testDevices())('indexing on %s', (device) => {
  const i32 = (a: number[], shape = [a.length]) => native.fromTypedArray(Int32Array.from(a), shape, device);

  it('indexSelect picks slices along any axis, with repeats', () => {
    const shape = [4, 5, 3];
    const x = randomArray(60, 1);
    for (const [axis, idx] of [
      [1, [4, 0, 4, 2]],
      [-1, [2, 2]],
      [0, [3]],
      [2, []],
    ] as [number, number[]][]) {
      const got = native.indexSelect(tensor(x, shape, device), axis, i32(idx));
      const ax = axis < 0 ? axis + 3 : axis;
      expect(got.shape).toEqual(shape.map((d, k) => (k === ax ? idx.length : d)));
      expectClose(values(got), indexSelectRef(x, shape, axis, idx), 0, 0);
    }
  });

  it("indexAdd returns a new tensor, accumulates duplicates, and is indexSelect's backward", () => {
    const shape = [3, 4, 2];
    const target = randomArray(24, 2);
    const idx = [3, 0, 3];
    const src = randomArray(3 * 3 * 2, 3);
    const t = tensor(target, shape, device);
    const got = native.indexAdd(t, 1, i32(idx), tensor(src, [3, 3, 2], device));
    const ref = Float64Array.from(target);
    for (let o = 0; o < 3; o++)
      for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) ref[(o * 4 + idx[j]) * 2 + i] += src[(o * 3 + j) * 2 + i];
    expectClose(values(got), ref, 1e-6, 1e-6);
    expectClose(values(t), target, 0, 0, 'target unchanged');
    // Gradient of indexSelect: dx = indexAdd(zeros, axis, idx, dy).
    const x = randomArray(24, 4),
      w = randomArray(18, 5);
    const f = (a: Float32Array) => grad.weightedSum(values(native.indexSelect(tensor(a, shape, device), 1, i32(idx))), w);
    const dx = native.indexAdd(native.full(shape, 0, 'float32', device), 1, i32(idx), tensor(w, [3, 3, 2], device));
    grad.expectClose(
      values(dx),
      grad.numeric(f, x),
      Array.from({ length: 24 }, (_, i) => i),
      1e-3,
      1e-4,
    );
  });

  it('indexAdd over many rows stays deterministic (parallel path)', () => {
    const shape = [2000, 64];
    const idx = Array.from(randomInts(5000, 6, 2000));
    const src = randomArray(5000 * 64, 7);
    const got = values(native.indexAdd(native.full(shape, 0, 'float32', device), 0, i32(idx), tensor(src, [5000, 64], device)));
    const ref = new Float64Array(2000 * 64);
    for (let j = 0; j < 5000; j++) for (let i = 0; i < 64; i++) ref[idx[j] * 64 + i] += src[j * 64 + i];
    expectClose(got, ref, 1e-5, 1e-5);
  });

  it('gather matches torch.gather and scatterAdd is its backward', () => {
    const shape = [3, 4, 5];
    const x = randomArray(60, 8);
    for (const axis of [0, 1, 2, -1]) {
      const ax = axis < 0 ? axis + 3 : axis;
      const idxShape = shape.map((d, k) => (k === ax ? 6 : d));
      const idx = randomInts(numel(idxShape), 9 + ax, shape[ax]);
      const it = native.fromTypedArray(idx, idxShape, device);
      const got = native.gather(tensor(x, shape, device), axis, it);
      expect(got.shape).toEqual(idxShape);
      expectClose(values(got), gatherRef(x, shape, axis, idx, idxShape), 0, 0);
      const w = randomArray(numel(idxShape), 10);
      const f = (a: Float32Array) => grad.weightedSum(values(native.gather(tensor(a, shape, device), axis, it)), w);
      const dx = native.scatterAdd(native.full(shape, 0, 'float32', device), axis, it, tensor(w, idxShape, device));
      grad.expectClose(
        values(dx),
        grad.numeric(f, Float32Array.from(x)),
        Array.from({ length: 60 }, (_, i) => i),
        1e-3,
        1e-4,
        `axis ${axis}`,
      );
    }
  });

  it('scatterAdd adds into a copy of target', () => {
    const t = tensor([1, 2, 3, 4, 5, 6], [2, 3], device);
    const got = native.scatterAdd(t, 1, i32([2, 2, 0, 1], [2, 2]), tensor([10, 20, 30, 40], [2, 2], device));
    expect(Array.from(values(got))).toEqual([1, 2, 33, 34, 45, 6]);
    expect(Array.from(values(t))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('oneHot encodes labels of any shape', () => {
    const oh = native.oneHot(i32([2, 0, 3]), 4);
    expect(oh.shape).toEqual([3, 4]);
    expect(oh.dtype).toBe('float32');
    expect(Array.from(values(oh))).toEqual([0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    const oh2 = native.oneHot(i32([1, 0, 1, 1], [2, 2]), 2);
    expect(oh2.shape).toEqual([2, 2, 2]);
    expect(Array.from(values(oh2))).toEqual([0, 1, 1, 0, 0, 1, 0, 1]);
    expect(native.oneHot(i32([]), 5).shape).toEqual([0, 5]);
    const big = randomInts(10007, 11, 10);
    const v = values(native.oneHot(native.fromTypedArray(big, [10007], device), 10));
    for (let r = 0; r < 10007; r++) for (let c = 0; c < 10; c++) if (v[r * 10 + c] !== +(big[r] === c)) throw new Error(`row ${r}`);
  });

  it('typed errors for bad input', () => {
    const x = tensor(randomArray(12, 12), [3, 4], device);
    expect(() => native.indexSelect(x, 1, i32([0, 4]))).toThrow(IndexOutOfRangeError);
    expect(() => native.indexSelect(x, 1, i32([0, 4]))).toThrow(
      /holds 4 at position 1, out of range for axis 1 of size 4 .*valid range \[0, 4\)/,
    );
    expect(() => native.indexSelect(x, 0, i32([-1]))).toThrow(IndexOutOfRangeError);
    expect(() => native.indexSelect(x, 2, i32([0]))).toThrow(ArgumentError);
    expect(() => native.indexSelect(x, -3, i32([0]))).toThrow(ArgumentError);
    expect(() => native.indexSelect(x, 0, tensor([0], [1], device))).toThrow(DTypeError);
    expect(() => native.indexSelect(x, 0, i32([0, 1], [1, 2]))).toThrow(ShapeError);
    expect(() => native.indexAdd(x, 0, i32([0, 1]), x)).toThrow(ShapeError);
    expect(() => native.indexAdd(x, 0, i32([0, 3]), tensor(new Float32Array(8), [2, 4], device))).toThrow(IndexOutOfRangeError);
    expect(() => native.gather(x, 1, i32([0, 1, 5], [3, 1]))).toThrow(IndexOutOfRangeError);
    expect(() => native.gather(x, 1, i32([0, 1, 5], [3, 1]))).toThrow(/position \[2, 0\]/);
    expect(() => native.gather(x, 1, i32([0, 1], [2, 1]))).toThrow(ShapeError);
    expect(() => native.gather(x, 1, i32([0, 1, 2]))).toThrow(ShapeError);
    expect(() => native.scatterAdd(x, 1, i32([0, 1, 2], [3, 1]), tensor([1, 2], [2, 1], device))).toThrow(ShapeError);
    expect(() => native.oneHot(i32([0, 5]), 5)).toThrow(/holds 5 at position 1.*5 classes/);
    expect(() => native.oneHot(i32([0]), -1)).toThrow(ArgumentError);
    expect(() => native.oneHot(x, 3)).toThrow(DTypeError);
  });
});
