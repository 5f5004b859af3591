import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError } from '../../lib/core/errors.js';
import { native, randomArray, rng, tensor, testDevices, values } from '../support/native.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Exact squared distances in float64. */
function sqdistRef(a: Float32Array, b: Float32Array, m: number, n: number, d: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const t = a[i * d + k] - b[j * d + k];
        s += t * t;
      }
      out[i * n + j] = s;
    }
  return out;
}

/** Reference top-k: a stable sort of (value, column) per row. */
function topkRef(x: Float32Array, rows: number, cols: number, k: number, largest: boolean) {
  const vals: number[] = [],
    idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: cols }, (_, j) => j);
    const v = (j: number) => x[r * cols + j];
    // NaN ranks as the largest value (torch.topk).
    const key = (j: number) => (Number.isNaN(v(j)) ? Infinity : v(j));
    const nanCmp = (p: number, q: number) => Number(Number.isNaN(v(p))) - Number(Number.isNaN(v(q)));
    order.sort((p, q) => {
      const byNan = largest ? -nanCmp(p, q) : nanCmp(p, q);
      if (byNan) return byNan;
      const d = largest ? key(q) - key(p) : key(p) - key(q);
      return (Number.isNaN(d) ? 0 : d) || p - q;
    });
    for (let j = 0; j < k; j++) {
      vals.push(v(order[j]));
      idx.push(order[j]);
    }
  }
  return { vals, idx };
}

describe.each(testDevices())('k-NN on %s', (device) => {
  it.each([
    [1, 1, 1],
    [7, 5, 3],
    [37, 53, 19],
    [129, 67, 785],
  ])('pairwiseSqDist matches a float64 reference for m=%i n=%i d=%i', (m, n, d) => {
    const a = randomArray(m * d, m + 1),
      b = randomArray(n * d, n + 2);
    const got = values(native.pairwiseSqDist(tensor(a, [m, d], device), tensor(b, [n, d], device)));
    const ref = sqdistRef(a, b, m, n, d);
    expect(got.length).toBe(m * n);
    // The expansion ||a||^2 + ||b||^2 - 2 a.b loses absolute precision relative to the norms.
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let scale = 0;
        for (let k = 0; k < d; k++) scale += a[i * d + k] ** 2 + b[j * d + k] ** 2;
        const err = Math.abs(got[i * n + j] - ref[i * n + j]);
        if (err > 1e-5 * scale + 1e-6) throw new Error(`d[${i}, ${j}] = ${got[i * n + j]}, expected ${ref[i * n + j]}`);
      }
  });

  it('distances of a set to itself are >= 0 with a zero diagonal (clamped), empty sets give empty results', () => {
    const m = 50,
      d = 17;
    const a = randomArray(m * d, 9, 10, 11); // large norms, small differences: cancellation
    const t = tensor(a, [m, d], device);
    const got = values(native.pairwiseSqDist(t, t));
    expect(got.every((v) => v >= 0)).toBe(true);
    for (let i = 0; i < m; i++) expect(got[i * m + i]).toBeLessThan(1e-2);
    const empty = native.pairwiseSqDist(tensor([], [0, d], device), t);
    expect(empty.shape).toEqual([0, m]);
    const noFeatures = values(native.pairwiseSqDist(tensor([], [3, 0], device), tensor([], [2, 0], device)));
    expect(Array.from(noFeatures)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it.each([1, 3, 16, 17, 40, 97])('topk k=%i matches a stable sort, both directions, with many ties', (k) => {
    const rows = 23,
      cols = 97;
    const r = rng(k);
    // Values on a coarse grid so ties are everywhere.
    const x = Float32Array.from({ length: rows * cols }, () => Math.floor(r() * 9) / 4);
    for (const largest of [false, true]) {
      const [v, i] = native.topk(tensor(x, [rows, cols], device), k, largest);
      expect(v.shape).toEqual([rows, k]);
      expect(i.dtype).toBe('int32');
      const ref = topkRef(x, rows, cols, k, largest);
      expect(Array.from(values(v))).toEqual(ref.vals);
      expect(Array.from(native.toTypedArray(i))).toEqual(ref.idx);
    }
  });

  it('topk over many rows (parallel) with k = cols returns full sorted rows', () => {
    const rows = 600,
      cols = 33;
    const x = randomArray(rows * cols, 4);
    const [v, i] = native.topk(tensor(x, [rows, cols], device), cols, false);
    const ref = topkRef(x, rows, cols, cols, false);
    expect(Array.from(values(v))).toEqual(ref.vals);
    expect(Array.from(native.toTypedArray(i))).toEqual(ref.idx);
  });

  it('topk puts NaN after every number when smallest and first when largest, as torch', () => {
    const x = tensor([3, NaN, 1, -Infinity, NaN, 2], [1, 6], device);
    const [vs, is] = native.topk(x, 4, false);
    expect(Array.from(values(vs))).toEqual([-Infinity, 1, 2, 3]);
    expect(Array.from(native.toTypedArray(is))).toEqual([3, 2, 5, 0]);
    const [vl, il] = native.topk(x, 3, true);
    expect(Array.from(values(vl)).map(String)).toEqual(['NaN', 'NaN', '3']);
    expect(Array.from(native.toTypedArray(il))).toEqual([1, 4, 0]);
    const [v20, i20] = native.topk(tensor([NaN, 5, NaN, 1], [1, 4], device), 4, false);
    expect(Array.from(values(v20)).map(String)).toEqual(['1', '5', 'NaN', 'NaN']);
    expect(Array.from(native.toTypedArray(i20))).toEqual([3, 1, 0, 2]);
  });

  it.each([1, 5, 20, 300])('topk k=%i on long rows with NaN, infinities and ties (blocked scan)', (k) => {
    const rows = 7,
      cols = 300;
    const r = rng(100 + k);
    const special = [NaN, Infinity, -Infinity];
    const x = Float32Array.from({ length: rows * cols }, () => (r() < 0.06 ? special[Math.floor(r() * 3)] : Math.floor(r() * 40) / 8));
    for (const largest of [false, true]) {
      const [v, i] = native.topk(tensor(x, [rows, cols], device), k, largest);
      const ref = topkRef(x, rows, cols, k, largest);
      expect(Array.from(values(v)).map(String)).toEqual(ref.vals.map(String));
      expect(Array.from(native.toTypedArray(i))).toEqual(ref.idx);
    }
  });

  it('k nearest neighbours: pairwiseSqDist + topk find planted points', () => {
    const n = 200,
      d = 11;
    const base = randomArray(n * d, 21);
    const queries = new Float32Array(5 * d);
    const planted = [17, 3, 199, 0, 123];
    planted.forEach((p, q) => {
      for (let k = 0; k < d; k++) queries[q * d + k] = base[p * d + k] + 1e-3;
    });
    const dist = native.pairwiseSqDist(tensor(queries, [5, d], device), tensor(base, [n, d], device));
    const [, idx] = native.topk(dist, 1, false);
    expect(Array.from(native.toTypedArray(idx))).toEqual(planted);
  });

  it('typed errors', () => {
    const a = tensor(randomArray(12, 1), [3, 4], device);
    const b = tensor(randomArray(10, 2), [2, 5], device);
    expect(() => native.pairwiseSqDist(a, b)).toThrow(ShapeError);
    expect(() => native.pairwiseSqDist(a, b)).toThrow(/\[3, 4\].*\[2, 5\]/);
    expect(() => native.pairwiseSqDist(a, tensor([1, 2, 3, 4], [4], device))).toThrow(/'b' must have 2 dimensions/);
    expect(() => native.pairwiseSqDist(a, native.full([2, 4], 0, 'int32', device))).toThrow(DTypeError);
    expect(() => native.topk(a, 5, false)).toThrow(ArgumentError);
    expect(() => native.topk(a, 5, false)).toThrow(/'k' must be an integer in \[1, 4\].*\[3, 4\], got 5/);
    expect(() => native.topk(a, 0, false)).toThrow(ArgumentError);
    expect(() => native.topk(a, 1.5, true)).toThrow(ArgumentError);
    expect(() => native.topk(a, NaN, true)).toThrow(ArgumentError);
    expect(() => native.topk(tensor([1, 2], [2], device), 1, true)).toThrow(ShapeError);
    expect(() => native.topk(a, 1, 'yes' as never)).toThrow(ArgumentError);
    expect(() => native.topk(tensor([], [2, 0], device), 1, true)).toThrow(/\[1, 0\]/);
  });
});

/** Exact k nearest by a full stable sort of (integer distance, train index): the reference. */
function knnRef(train: Uint8Array, queries: Uint8Array, n: number, m: number, d: number, k: number) {
  const idx: number[] = [],
    dist: number[] = [];
  for (let q = 0; q < m; q++) {
    const all: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const t = queries[q * d + j] - train[i * d + j];
        s += t * t;
      }
      all.push([s, i]);
    }
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let j = 0; j < k; j++) {
      dist.push(all[j][0]);
      idx.push(all[j][1]);
    }
  }
  return { idx, dist };
}

/**
 * Byte rows built to stress the tie rule and the pruning margins: values drawn from `levels`
 * (few levels: equal distances everywhere; {0, 255}: large norms and exact ties), with some train
 * rows duplicated at other indices and some queries equal to train rows.
 */
function plantedRows(n: number, m: number, d: number, levels: number[], seed: number) {
  const r = rng(seed);
  const pick = () => levels[Math.floor(r() * levels.length)];
  const train = Uint8Array.from({ length: n * d }, pick);
  for (let c = 0; c < n / 10; c++) {
    const from = Math.floor(r() * n),
      to = Math.floor(r() * n);
    train.copyWithin(to * d, from * d, from * d + d);
  }
  const queries = Uint8Array.from({ length: m * d }, pick);
  for (let q = 0; q < m; q += 3) queries.set(train.subarray(((q * 7) % n) * d, ((q * 7) % n) * d + d), q * d);
  return { train, queries };
}

const u8 = (data: Uint8Array, shape: number[], device: 'cpu' | 'cuda') => native.fromTypedArray(data, shape, device);

describe.each(testDevices())('knnExact on %s', (device) => {
  it.each([
    // n, m, d, levels, k, projDim
    [300, 40, 50, [0, 1, 2, 3], 1, 8],
    [300, 40, 50, [0, 1, 2, 3], 7, 8],
    [257, 31, 33, [0, 255], 3, 4],
    [500, 25, 64, [0, 255], 40, 16],
    [400, 30, 97, Array.from({ length: 256 }, (_, i) => i), 3, 12],
    [400, 30, 97, Array.from({ length: 256 }, (_, i) => i), 5, 0],
    [40, 13, 5, [7, 9], 40, 2],
  ])('equals a brute-force reference with planted ties: n=%i m=%i d=%i levels=%j k=%i projDim=%i', (n, m, d, levels, k, projDim) => {
    const { train, queries } = plantedRows(n, m, d, levels, n + m + d + k);
    const [ix, dist] = native.knnExact(u8(train, [n, d], device), u8(queries, [m, d], device), k, projDim);
    expect(ix.shape).toEqual([m, k]);
    expect(ix.dtype).toBe('int32');
    expect(dist.dtype).toBe('int32');
    const ref = knnRef(train, queries, n, m, d, k);
    expect(Array.from(native.toTypedArray(dist))).toEqual(ref.dist);
    expect(Array.from(native.toTypedArray(ix))).toEqual(ref.idx);
  });

  it('the result does not depend on projDim (exhaustive, pruned in 1..d/2 dimensions)', () => {
    const n = 700,
      m = 50,
      d = 40;
    const { train, queries } = plantedRows(n, m, d, [0, 30, 60, 200, 255], 5);
    const tr = u8(train, [n, d], device),
      qs = u8(queries, [m, d], device);
    const [ref] = native.knnExact(tr, qs, 4, 0);
    for (const p of [1, 3, 10, 20, 21, 40]) {
      const [ix] = native.knnExact(tr, qs, 4, p);
      expect(Array.from(native.toTypedArray(ix)), `projDim ${p}`).toEqual(Array.from(native.toTypedArray(ref)));
    }
  });

  it('empty query sets and zero-length rows', () => {
    const tr = u8(new Uint8Array(6 * 3).fill(4), [6, 3], device);
    const [ix] = native.knnExact(tr, u8(new Uint8Array(0), [0, 3], device), 2, 1);
    expect(ix.shape).toEqual([0, 2]);
    const [iz, dz] = native.knnExact(u8(new Uint8Array(0), [4, 0], device), u8(new Uint8Array(0), [2, 0], device), 3);
    expect(Array.from(native.toTypedArray(iz))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(Array.from(native.toTypedArray(dz))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('typed errors', () => {
    const tr = u8(new Uint8Array(12), [3, 4], device);
    expect(() => native.knnExact(tensor(randomArray(12, 1), [3, 4], device), tr, 1)).toThrow(DTypeError);
    expect(() => native.knnExact(tr, u8(new Uint8Array(10), [2, 5], device), 1)).toThrow(ShapeError);
    expect(() => native.knnExact(tr, u8(new Uint8Array(10), [2, 5], device), 1)).toThrow(/\[3, 4\].*\[2, 5\]/);
    expect(() => native.knnExact(u8(new Uint8Array(4), [4], device), tr, 1)).toThrow(/'train' must have 2 dimensions/);
    expect(() => native.knnExact(tr, tr, 4)).toThrow(/'k' must be an integer in \[1, 3\].*\[3, 4\], got 4/);
    expect(() => native.knnExact(tr, tr, 0)).toThrow(ArgumentError);
    expect(() => native.knnExact(tr, tr, 1, 5)).toThrow(ArgumentError);
    expect(() => native.knnExact(u8(new Uint8Array(0), [0, 4], device), tr, 1)).toThrow(/no rows/);
    expect(() => native.knnExact(u8(new Uint8Array(40000), [1, 40000], device), u8(new Uint8Array(40000), [1, 40000], device), 1)).toThrow(
      /too long for exact int32/,
    );
  });
});

describe('knnExact portable kernels (NNLAB_DISABLE_AVX2=1 in a child process)', () => {
  it('give the same neighbours as this process and as the reference on 784-byte rows', () => {
    const n = 2000,
      m = 60,
      d = 784;
    const { train, queries } = plantedRows(n, m, d, [0, 0, 0, 0, 128, 255], 77);
    // The child reads the rows from stdin (too large for a command line) and prints its result.
    const script = `
      const addon = process.env.NNLAB_ADDON ? require(process.env.NNLAB_ADDON) : require('node-gyp-build')(${JSON.stringify(root)});
      const input = require('node:fs').readFileSync(0);
      const rows = (lo, count) => addon.fromTypedArray(Uint8Array.from(input.subarray(lo, lo + count * ${d})), [count, ${d}], 'cpu');
      const [ix, d] = addon.knnExact(rows(0, ${n}), rows(${n * d}, ${m}), 3, 32);
      console.log(JSON.stringify([Array.from(addon.toTypedArray(ix)), Array.from(addon.toTypedArray(d))]));`;
    const res = spawnSync(process.execPath, ['-e', script], {
      cwd: root,
      env: { ...process.env, NNLAB_DISABLE_AVX2: '1' },
      input: Buffer.concat([train, queries]),
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    const child = JSON.parse(res.stdout.trim());
    const [ix, dist] = native.knnExact(native.fromTypedArray(train, [n, d]), native.fromTypedArray(queries, [m, d]), 3, 32);
    expect(child[0]).toEqual(Array.from(native.toTypedArray(ix)));
    expect(child[1]).toEqual(Array.from(native.toTypedArray(dist)));
    const ref = knnRef(train, queries, n, m, d, 3);
    expect(child[0]).toEqual(ref.idx);
    expect(child[1]).toEqual(ref.dist);
  });
});
