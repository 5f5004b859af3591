import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { ArgumentError, DisposedError, DTypeError, ShapeError } from '../../lib/core/errors.js';
import { expectClose, native, randomArray, tensor, testDevices, values } from '../support/native.js';

/** float64 reference of alpha * op(A) op(B) + beta * C, with A, B stored as the kernel sees them. */
function refGemm(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  alpha = 1,
  beta = 0,
  c?: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[transA ? p * m + i : i * k + p] * b[transB ? j * k + p : p * n + j];
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c![i * n + j]);
    }
  }
  return out;
}

/** The first `rows` rows of x (rows of k values) stored transposed, as [k, rows]. */
function transpose(x: Float32Array, rows: number, k: number): Float32Array {
  const out = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) for (let p = 0; p < k; p++) out[p * rows + r] = x[r * k + p];
  return out;
}

/** Tolerance grows with k: float32 accumulation of k products of values in [-1, 1]. */
const tol = (k: number) => [1e-4, 2e-6 * Math.max(k, 1)] as const;

const combos: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const sizes = [1, 3, 7, 13, 17, 31, 33, 65, 100, 257];

describe.each(testDevices())('gemm on %s', (device) => {
  const mk = (data: Float32Array, shape: number[]) => tensor(data, shape, device);

  function checkMatmul(m: number, n: number, k: number, transA: boolean, transB: boolean, seed: number) {
    const a = randomArray(m * k, seed),
      b = randomArray(k * n, seed + 1);
    const ta = mk(a, transA ? [k, m] : [m, k]),
      tb = mk(b, transB ? [n, k] : [k, n]);
    const out = native.matmul(ta, tb, transA, transB);
    expect(out.shape).toEqual([m, n]);
    expectClose(values(out), refGemm(a, b, m, n, k, transA, transB), ...tol(k), `${m}x${n}x${k} tA=${transA} tB=${transB}`);
  }

  it.each(combos)('matmul with transA=%s transB=%s on odd sizes', (transA, transB) => {
    sizes.forEach((m, i) => {
      checkMatmul(m, sizes[(i + 3) % sizes.length], sizes[(i + 7) % sizes.length], transA, transB, 10 + i);
      checkMatmul(sizes[(i + 5) % sizes.length], m, sizes[(i + 2) % sizes.length], transA, transB, 40 + i);
    });
  });

  it.each(combos)('a larger random product 300x517x129 (transA=%s transB=%s)', (transA, transB) => {
    checkMatmul(300, 517, 129, transA, transB, 7);
  });

  it('skinny shapes of conv and linear layers', () => {
    checkMatmul(64, 1550, 288, false, false, 1); // conv: [K, C*R*S] @ im2col
    checkMatmul(32, 4000, 9, false, false, 2);
    checkMatmul(128, 128, 1600, false, true, 3); // linear forward: x @ W^T
    checkMatmul(1600, 128, 128, true, false, 4); // linear weight gradient: dy^T @ x
    checkMatmul(128, 10, 512, false, true, 5);
    checkMatmul(1, 300, 200, false, false, 6);
    checkMatmul(300, 1, 200, false, false, 7);
  });

  // The direct tiles (no packing of B): N within 32 columns, or M within 24 rows of a B read in
  // place; edges of 1, 15, 16, 17 rows and columns around the 6-, 12- and 24-row tiles and the
  // 16-column panels, K across the 256-step blocks.
  it.each(combos)('small products of the direct tiles at edge sizes (transA=%s transB=%s)', (transA, transB) => {
    const edges = [1, 15, 16, 17];
    let seed = 100;
    for (const m of [...edges, 24, 25, 100])
      for (const n of [...edges, 10, 32, 33]) checkMatmul(m, n, [1, 17, 300][seed % 3], transA, transB, seed++);
    for (const n of [48, 100, 512]) for (const m of [1, 10, 17, 24]) checkMatmul(m, n, [16, 128, 513][seed % 3], transA, transB, seed++);
  });

  it.each(combos)("the direct tiles give the packed blocks' bits (transA=%s transB=%s)", (transA, transB) => {
    // A 130x130 product goes through the packed blocks, its first 10 rows or columns computed alone
    // through the direct tiles: every element must get the same operations, K blocks included
    // (k = 600 is three blocks). a holds op(A)'s rows, b op(B)'s columns, k values each.
    const k = 600;
    const a = randomArray(130 * k, 61),
      b = randomArray(k * 130, 62);
    const opA = (rows: number) => (transA ? mk(transpose(a, rows, k), [k, rows]) : mk(a.subarray(0, rows * k), [rows, k]));
    const opB = (cols: number) => (transB ? mk(b.subarray(0, cols * k), [cols, k]) : mk(transpose(b, cols, k), [k, cols]));
    const wide = values(native.matmul(opA(130), opB(130), transA, transB));
    const fewRows = values(native.matmul(opA(10), opB(130), transA, transB));
    const fewCols = values(native.matmul(opA(130), opB(10), transA, transB));
    for (let i = 0; i < 10; i++) for (let j = 0; j < 130; j++) expect(fewRows[i * 130 + j]).toBe(wide[i * 130 + j]);
    for (let i = 0; i < 130; i++) for (let j = 0; j < 10; j++) expect(fewCols[i * 10 + j]).toBe(wide[i * 130 + j]);
  });

  it.each(combos)('gemmInto applies alpha and beta (transA=%s transB=%s)', (transA, transB) => {
    for (const [m, n, k] of [
      [5, 7, 3],
      [33, 17, 65],
      [100, 257, 31],
    ]) {
      const a = randomArray(m * k, 1),
        b = randomArray(k * n, 2),
        c0 = randomArray(m * n, 3);
      const c = mk(c0, [m, n]);
      native.gemmInto(c, mk(a, transA ? [k, m] : [m, k]), mk(b, transB ? [n, k] : [k, n]), 0.75, -1.5, transA, transB);
      expectClose(values(c), refGemm(a, b, m, n, k, transA, transB, 0.75, -1.5, c0), ...tol(k));
      // beta = 1 accumulates, as gradient accumulation does.
      native.gemmInto(c, mk(a, transA ? [k, m] : [m, k]), mk(b, transB ? [n, k] : [k, n]), 1, 1, transA, transB);
      const once = refGemm(a, b, m, n, k, transA, transB, 0.75, -1.5, c0);
      expectClose(values(c), refGemm(a, b, m, n, k, transA, transB, 1, 1, once), ...tol(k));
    }
  });

  it('beta = 0 ignores NaN and Inf already in c', () => {
    for (const [m, n, k] of [
      [7, 13, 5],
      [65, 100, 33],
    ]) {
      const a = randomArray(m * k, 4),
        b = randomArray(k * n, 5);
      const garbage = new Float32Array(m * n).map((_, i) => (i % 3 === 0 ? NaN : i % 3 === 1 ? Infinity : -Infinity));
      const c = mk(garbage, [m, n]);
      native.gemmInto(c, mk(a, [m, k]), mk(b, [k, n]), 2, 0);
      const got = values(c);
      expect(got.every(Number.isFinite)).toBe(true);
      expectClose(got, refGemm(a, b, m, n, k, false, false, 2), ...tol(k));
    }
  });

  it('alpha = 0 scales c by beta and an empty inner dimension gives zeros', () => {
    const c0 = randomArray(12, 6);
    const c = mk(c0, [3, 4]);
    native.gemmInto(c, mk(randomArray(6, 7), [3, 2]), mk(randomArray(8, 8), [2, 4]), 0, 0.5);
    expectClose(
      values(c),
      Array.from(c0, (v) => v * 0.5),
      1e-6,
      1e-7,
    );
    const z = native.matmul(mk(new Float32Array(0), [3, 0]), mk(new Float32Array(0), [0, 4]));
    expect(Array.from(values(z))).toEqual(new Array(12).fill(0));
    expect(native.matmul(mk(new Float32Array(0), [0, 5]), mk(randomArray(10, 1), [5, 2])).shape).toEqual([0, 2]);
  });

  it('batched matmul, with a shared 2-D operand on either side', () => {
    const B = 3,
      m = 17,
      n = 33,
      k = 13;
    for (const [transA, transB] of combos) {
      const a = randomArray(B * m * k, 11),
        b = randomArray(B * k * n, 12);
      const ta = mk(a, transA ? [B, k, m] : [B, m, k]),
        tb = mk(b, transB ? [B, n, k] : [B, k, n]);
      const out = native.matmul(ta, tb, transA, transB);
      expect(out.shape).toEqual([B, m, n]);
      const got = values(out);
      for (let i = 0; i < B; i++) {
        const ref = refGemm(a.subarray(i * m * k), b.subarray(i * k * n), m, n, k, transA, transB);
        expectClose(got.subarray(i * m * n, (i + 1) * m * n), ref, ...tol(k), `batch ${i}`);
      }
      // b shared by every item of a.
      const b2 = randomArray(k * n, 13);
      const shared = values(native.matmul(ta, mk(b2, transB ? [n, k] : [k, n]), transA, transB));
      for (let i = 0; i < B; i++) {
        const ref = refGemm(a.subarray(i * m * k), b2, m, n, k, transA, transB);
        expectClose(shared.subarray(i * m * n, (i + 1) * m * n), ref, ...tol(k), `shared b, batch ${i}`);
      }
      // a shared by every item of b.
      const a2 = randomArray(m * k, 14);
      const sharedA = values(native.matmul(mk(a2, transA ? [k, m] : [m, k]), tb, transA, transB));
      for (let i = 0; i < B; i++) {
        const ref = refGemm(a2, b.subarray(i * k * n), m, n, k, transA, transB);
        expectClose(sharedA.subarray(i * m * n, (i + 1) * m * n), ref, ...tol(k), `shared a, batch ${i}`);
      }
    }
  });

  it('many small batched products and a large batch of mid-size ones', () => {
    for (const [B, m, n, k] of [
      [64, 4, 5, 6],
      [4, 96, 80, 70],
    ]) {
      const a = randomArray(B * m * k, 21),
        b = randomArray(B * k * n, 22);
      const got = values(native.matmul(mk(a, [B, m, k]), mk(b, [B, k, n])));
      for (let i = 0; i < B; i++)
        expectClose(
          got.subarray(i * m * n, (i + 1) * m * n),
          refGemm(a.subarray(i * m * k), b.subarray(i * k * n), m, n, k, false, false),
          ...tol(k),
        );
    }
  });

  it('repeated calls give bit-identical results for a fixed thread count (and across counts)', () => {
    const saved = native.numThreads();
    try {
      for (const [m, n, k] of [
        [300, 517, 129],
        [64, 3100, 288],
        [128, 128, 1600],
        [1000, 7, 300],
      ]) {
        const ta = mk(randomArray(m * k, 31), [m, k]),
          tb = mk(randomArray(k * n, 32), [k, n]);
        const runs: Buffer[] = [];
        for (const threads of [2, 2, 1, 3]) {
          native.setNumThreads(threads);
          runs.push(Buffer.from(values(native.matmul(ta, tb)).buffer));
        }
        expect(runs[1].equals(runs[0])).toBe(true);
        // This kernel blocks K identically whatever the partition, so even the thread count does
        // not change a bit.
        expect(runs[2].equals(runs[0])).toBe(true);
        expect(runs[3].equals(runs[0])).toBe(true);
      }
    } finally {
      native.setNumThreads(saved);
    }
  });

  it('typed errors for bad input', () => {
    const a = mk(randomArray(12, 1), [3, 4]),
      b = mk(randomArray(30, 2), [5, 6]);
    expect(() => native.matmul(a, b)).toThrow(ShapeError);
    expect(() => native.matmul(a, b)).toThrow('matmul: a [3, 4] and b [5, 6]: inner dimensions 4 and 5 differ');
    expect(() => native.matmul(a, b, true)).toThrow(/inner dimensions 3 and 5 differ/);
    expect(() => native.matmul(a, mk(randomArray(20, 3), [4, 5]), false, true)).toThrow(/\(transB\): inner dimensions 4 and 5/);
    const ints = native.fromTypedArray(new Int32Array(20), [4, 5], device);
    expect(() => native.matmul(a, ints)).toThrow(DTypeError);
    expect(() => native.matmul(a, ints)).toThrow(/'b' must be a float32 tensor, got int32/);
    expect(() => native.matmul(mk(randomArray(4, 1), [4]), a)).toThrow(ShapeError);
    expect(() => native.matmul(mk(randomArray(24, 1), [1, 2, 3, 4]), a)).toThrow(/2-D matrix or a 3-D batch/);
    expect(() => native.matmul(mk(randomArray(24, 1), [2, 3, 4]), mk(randomArray(60, 1), [3, 4, 5]))).toThrow(
      /batch sizes differ: a \[2, 3, 4\] has 2, b \[3, 4, 5\] has 3/,
    );
    expect(() => native.matmul(a, {} as never)).toThrow(ArgumentError);
    expect(() => native.matmul(a, mk(randomArray(20, 3), [4, 5]), 'yes' as never)).toThrow(ArgumentError);
    const gone = mk(randomArray(20, 3), [4, 5]);
    gone.dispose();
    expect(() => native.matmul(a, gone)).toThrow(DisposedError);

    const c = mk(new Float32Array(15), [3, 5]),
      bb = mk(randomArray(20, 3), [4, 5]);
    native.gemmInto(c, a, bb, 1, 0);
    expect(() => native.gemmInto(mk(new Float32Array(12), [3, 4]), a, bb, 1, 0)).toThrow(ShapeError);
    expect(() => native.gemmInto(mk(new Float32Array(12), [3, 4]), a, bb, 1, 0)).toThrow(/'c' must have shape \[3, 5\], got \[3, 4\]/);
    expect(() => native.gemmInto(mk(new Float32Array(30), [2, 3, 5]), a, bb, 1, 0)).toThrow(/'c' must be a 2-D matrix/);
    expect(() => native.gemmInto(c, mk(randomArray(24, 1), [2, 3, 4]), bb, 1, 0)).toThrow(ShapeError);
    expect(() => native.gemmInto(c, a, bb, 'x' as never, 0)).toThrow(ArgumentError);
    expect(() => native.gemmInto(c, a, bb, 1, NaN)).toThrow(ArgumentError);
    expect(() => native.gemmInto(c, a, ints, 1, 0)).toThrow(DTypeError);
    const sq = mk(randomArray(16, 1), [4, 4]);
    expect(() => native.gemmInto(sq, sq, sq, 1, 0)).toThrow(/must not share storage/);
    expect(() => native.gemmInto(c, a, gone, 1, 0)).toThrow(DisposedError);
  });
});

describe('gemm portable kernel', () => {
  it('matches the reference when AVX2 is not used (NNLAB_GEMM_KERNEL=generic)', () => {
    // The kernel is picked once per process, so the fallback runs in a child process.
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = `
      const addon = process.env.NNLAB_ADDON ? require(process.env.NNLAB_ADDON) : require('node-gyp-build')(${JSON.stringify(root)});
      let s = 1;
      const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
      let worst = 0;
      for (const [m, n, k, tA, tB] of [[37, 45, 300, false, false], [300, 129, 70, true, true], [6, 16, 1, false, true], [65, 3, 33, true, false], [17, 10, 300, false, true], [10, 100, 100, true, false]]) {
        const a = Float32Array.from({ length: m * k }, rnd), b = Float32Array.from({ length: k * n }, rnd);
        const c = addon.toTypedArray(addon.matmul(addon.fromTypedArray(a, tA ? [k, m] : [m, k], 'cpu'),
          addon.fromTypedArray(b, tB ? [n, k] : [k, n], 'cpu'), tA, tB));
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
          let r = 0;
          for (let p = 0; p < k; p++) r += a[tA ? p * m + i : i * k + p] * b[tB ? j * k + p : p * n + j];
          worst = Math.max(worst, Math.abs(c[i * n + j] - r) / (1 + Math.abs(r)));
        }
      }
      console.log(JSON.stringify({ worst }));`;
    const res = spawnSync(process.execPath, ['-e', script], {
      cwd: root,
      env: { ...process.env, NNLAB_GEMM_KERNEL: 'generic' },
      encoding: 'utf8',
    });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout.trim()).worst).toBeLessThan(1e-4);
  });
});
