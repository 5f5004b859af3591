// The AVX2 kernels (native/cpu/*_avx2.cpp) against the JS reference in this process, and against
// the portable kernels that NNLAB_DISABLE_AVX2=1 selects: the variable is read once per process,
// so the portable run happens in a child process. Sizes are odd so every vector-width tail runs.

import { describe, expect, it } from 'vitest';

import { childAddonResults } from './support/child-addon.js';
import { native, rng, tensor, values } from './support/native.js';
import { skipUnless } from './support/skips.js';

type Shape4 = [number, number, number, number];
// Widths give 8-, 4- and 1-wide chunks of outputs (AVX2) and one, two or three masked 16-wide
// chunks (AVX-512: ow 13, 17, 35); odd heights and widths leave a row and a
// column outside every window.
const POOL_SHAPES: Shape4[] = [
  [2, 3, 26, 26],
  [1, 2, 11, 11],
  [3, 1, 9, 35],
  [1, 1, 2, 2],
  [2, 2, 5, 17],
  [1, 1, 40, 33],
  [2, 1, 7, 70],
];

/** Ties, zeros, -inf and NaN in quantity: every branch of the max rule is taken. */
function nastyArray(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = r();
    return u < 0.05 ? NaN : u < 0.1 ? -Infinity : u < 0.4 ? 0 : Math.round(u * 4) - 2;
  });
}

/** Max pool 2x2 stride 2 by PyTorch's rule: a later cell wins when strictly greater or NaN. */
function refMaxPool2x2(x: Float32Array, [n, c, h, w]: Shape4) {
  const oh = Math.floor(h / 2),
    ow = Math.floor(w / 2);
  const y = new Float32Array(n * c * oh * ow),
    idx = new Int32Array(y.length);
  for (let pl = 0; pl < n * c; pl++)
    for (let r = 0; r < oh; r++)
      for (let q = 0; q < ow; q++) {
        let best = -Infinity,
          arg = 2 * r * w + 2 * q;
        for (const cell of [2 * r * w + 2 * q, 2 * r * w + 2 * q + 1, (2 * r + 1) * w + 2 * q, (2 * r + 1) * w + 2 * q + 1]) {
          const v = x[pl * h * w + cell];
          if (v > best || Number.isNaN(v)) {
            best = v;
            arg = cell;
          }
        }
        y[(pl * oh + r) * ow + q] = best;
        idx[(pl * oh + r) * ow + q] = arg;
      }
  return { y, idx, ys: [n, c, oh, ow] };
}

describe('max pool 2x2 stride 2 (AVX2 kernel where the CPU has it)', () => {
  it.each(POOL_SHAPES)('matches the reference on [%i, %i, %i, %i]', (...xs) => {
    const x = nastyArray(xs[0] * xs[1] * xs[2] * xs[3], xs[2] * 100 + xs[3]);
    const [y, idx] = native.maxPool2d(tensor(x, xs), 2, 2, 2, 2, 0, 0);
    const ref = refMaxPool2x2(x, xs);
    expect(Array.from(values(y))).toEqual(Array.from(ref.y));
    expect(Array.from(native.toTypedArray(idx))).toEqual(Array.from(ref.idx));
    const g = Float32Array.from({ length: ref.y.length }, (_, i) => (i % 7) - 3);
    const dx = values(native.maxPool2dBackward(tensor(g, ref.ys), idx, xs, 2, 2, 2, 2, 0, 0));
    const refDx = new Float32Array(x.length);
    const hw = xs[2] * xs[3],
      ohw = ref.ys[2] * ref.ys[3];
    for (let i = 0; i < g.length; i++) refDx[Math.floor(i / ohw) * hw + ref.idx[i]] += g[i];
    expect(Array.from(dx)).toEqual(Array.from(refDx));
  });

  it('scatters indices that leave their window (made by the caller, still inside the plane)', () => {
    const xs: Shape4 = [1, 2, 6, 20];
    const ys = [1, 2, 3, 10];
    const idx = Int32Array.from({ length: 60 }, (_, i) => (i * 37) % 120);
    const g = Float32Array.from({ length: 60 }, (_, i) => i + 1);
    const dx = values(native.maxPool2dBackward(tensor(g, ys), native.fromTypedArray(idx, ys, 'cpu'), xs, 2, 2, 2, 2, 0, 0));
    const ref = new Float32Array(240);
    for (let i = 0; i < 60; i++) ref[Math.floor(i / 30) * 120 + idx[i]] += g[i];
    expect(Array.from(dx)).toEqual(Array.from(ref));
  });
});

// Other windows (the AVX2 kernel gathers each tap for 8 output columns): [x, kh, kw, sh, sw, ph, pw];
// ResNet's 3x3/2 pad-1 pool, overlapping, rectangular and wide-stride windows, widths around 8.
const GENERAL_POOLS: [Shape4, number, number, number, number, number, number][] = [
  [[2, 3, 16, 16], 3, 3, 2, 2, 1, 1],
  [[1, 2, 9, 35], 3, 3, 2, 2, 1, 1],
  [[2, 1, 10, 17], 3, 3, 1, 1, 0, 0],
  [[1, 3, 10, 7], 3, 2, 1, 2, 1, 1],
  [[3, 2, 5, 6], 5, 4, 3, 1, 2, 2],
  [[1, 1, 3, 3], 3, 3, 2, 2, 1, 1],
];

/** Max pool over any window by PyTorch's rule (padding is -inf; an all -inf window reports its first cell). */
function refMaxPool(x: Float32Array, [n, c, h, w]: Shape4, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number) {
  const oh = Math.floor((h + 2 * ph - kh) / sh) + 1,
    ow = Math.floor((w + 2 * pw - kw) / sw) + 1;
  const y = new Float32Array(n * c * oh * ow),
    idx = new Int32Array(y.length);
  for (let pl = 0; pl < n * c; pl++)
    for (let r = 0; r < oh; r++)
      for (let q = 0; q < ow; q++) {
        const h0 = Math.max(0, r * sh - ph),
          h1 = Math.min(h, r * sh - ph + kh);
        const w0 = Math.max(0, q * sw - pw),
          w1 = Math.min(w, q * sw - pw + kw);
        let best = -Infinity,
          arg = h0 * w + w0;
        for (let i = h0; i < h1; i++)
          for (let j = w0; j < w1; j++) {
            const v = x[pl * h * w + i * w + j];
            if (v > best || Number.isNaN(v)) {
              best = v;
              arg = i * w + j;
            }
          }
        y[(pl * oh + r) * ow + q] = best;
        idx[(pl * oh + r) * ow + q] = arg;
      }
  return { y, idx };
}

describe('max pool, other windows (AVX2 kernel where the CPU has it)', () => {
  it.each(GENERAL_POOLS)('matches the reference on %j, window %ix%i stride %i,%i pad %i,%i', (xs, kh, kw, sh, sw, ph, pw) => {
    const x = nastyArray(xs[0] * xs[1] * xs[2] * xs[3], xs[2] * 100 + xs[3] + kh);
    const [y, idx] = native.maxPool2d(tensor(x, xs), kh, kw, sh, sw, ph, pw);
    const ref = refMaxPool(x, xs, kh, kw, sh, sw, ph, pw);
    expect(Array.from(values(y))).toEqual(Array.from(ref.y));
    expect(Array.from(native.toTypedArray(idx))).toEqual(Array.from(ref.idx));
  });
});

// Runs the same ops in a child process and returns each result's bytes (base64).
function childResults(env: Record<string, string>): string[] {
  return childAddonResults(
    env,
    11,
    `
    const nasty = (n) => Float32Array.from({ length: n }, () => { const u = rnd(); return u < 0.05 ? NaN : u < 0.1 ? -Infinity : u < 0.4 ? 0 : Math.round(u * 4) - 2; });
    const t = (a, shape) => addon.fromTypedArray(a, shape, 'cpu');
    for (const xs of ${JSON.stringify(POOL_SHAPES)}) {
      const [y, idx] = addon.maxPool2d(t(nasty(xs.reduce((a, b) => a * b)), xs), 2, 2, 2, 2, 0, 0);
      const g = Float32Array.from({ length: y.numel }, () => (rnd() < 0.1 ? -0 : rnd() - 0.5));
      out.push(b64(y), b64(idx), b64(addon.maxPool2dBackward(t(g, y.shape), idx, xs, 2, 2, 2, 2, 0, 0)));
    }
    for (const [xs, ...win] of ${JSON.stringify(GENERAL_POOLS)}) {
      const [y, idx] = addon.maxPool2d(t(nasty(xs.reduce((a, b) => a * b)), xs), ...win);
      out.push(b64(y), b64(idx));
    }
    for (const [decay, decoupled] of ${JSON.stringify(ADAM_CASES)}) {
      const rand = (n) => Float32Array.from({ length: n }, () => rnd() - 0.5);
      const ps = ${JSON.stringify(ADAM_SIZES)}.map((n) => t(rand(n), [n]));
      const ms = ps.map((p) => t(new Float32Array(p.numel), p.shape)), vs = ps.map((p) => t(new Float32Array(p.numel), p.shape));
      for (let step = 1; step <= 3; step++)
        addon.adamStep(ps, ps.map((p) => t(rand(p.numel), p.shape)), ms, vs, 1e-2, 0.9, 0.999, 1e-8, decay, decoupled, step);
      for (const h of [...ps, ...ms, ...vs]) out.push(b64(h));
    }
    for (const decay of ${JSON.stringify(SGD_DECAYS)}) {
      const rand = (n) => Float32Array.from({ length: n }, () => rnd() - 0.5);
      const ps = ${JSON.stringify(ADAM_SIZES)}.map((n) => t(rand(n), [n]));
      for (let step = 0; step < 3; step++)
        addon.sgdStep(ps, ps.map((p) => t(rand(p.numel), p.shape)), null, 0.1, 0, 0, decay, false, step === 0);
      for (const h of ps) out.push(b64(h));
    }
    for (const n of ${JSON.stringify(ACT_SIZES)}) {
      const x = t(Float32Array.from({ length: n }, () => { const u = rnd(); return u < 0.02 ? NaN : u < 0.04 ? Infinity : u < 0.06 ? -Infinity : u < 0.08 ? -0 : (u - 0.5) * 60 * rnd() ** 3; }), [n]);
      out.push(b64(addon.unary(x, 'tanh')), b64(addon.unary(x, 'sigmoid')));
    }
    for (const [m, k, n] of ${JSON.stringify(ACT_LINEAR)}) {
      const few = (len, scale) => Float32Array.from({ length: len }, () => Math.round((rnd() - 0.5) * 32) * scale);
      const x = t(few(m * k, 1 / 4), [m, k]), w = t(few(n * k, 1 / 16), [n, k]), b = t(few(n, 1 / 64), [n]);
      const dy = t(few(m * n, 1 / 8), [m, n]);
      for (const act of ['tanh', 'sigmoid']) {
        const y = addon.linearAct(x, w, b, act);
        // The bias gradient, summed in the activation's backward sweep (dx and dw are GEMMs).
        const [, , db] = addon.linearActBackward(x, w, y, dy, act, false, false, true);
        out.push(b64(y), b64(addon.linearAct(x, w, null, act)), b64(db));
      }
    }
    for (const n of ${JSON.stringify(MSE_SIZES)}) {
      const rand = () => t(Float32Array.from({ length: n }, () => (rnd() - 0.5) * 4), [n]);
      const x = rand(), target = rand();
      for (const op of ['sum', 'mean']) out.push(...addon.squaredDiff(x, target, op).map(b64));
    }
    for (const [xs, ws, pad, stride] of ${JSON.stringify(CONV_CASES)}) {
      const x = t(Float32Array.from({ length: xs.reduce((a, b) => a * b) }, () => rnd() - 0.5), xs);
      const w = t(Float32Array.from({ length: ws.reduce((a, b) => a * b) }, () => rnd() - 0.5), ws);
      const b = t(Float32Array.from({ length: ws[0] }, () => rnd() - 0.5), [ws[0]]);
      const y = addon.conv2d(x, w, b, stride, stride, pad, pad, 1, 1, 1);
      const dy = t(Float32Array.from({ length: y.numel }, () => rnd() - 0.5), y.shape);
      out.push(b64(y), b64(addon.conv2dBackwardInput(dy, w, xs, stride, stride, pad, pad, 1, 1, 1)),
        b64(addon.conv2dBackwardWeight(x, dy, ws, stride, stride, pad, pad, 1, 1, 1)), b64(addon.conv2dBackwardBias(dy)));
    }
    for (const [m, k, n] of ${JSON.stringify(GEMM_CASES)}) {
      const a = t(Float32Array.from({ length: m * k }, () => rnd() - 0.5), [m, k]);
      const b = t(Float32Array.from({ length: k * n }, () => rnd() - 0.5), [k, n]);
      out.push(b64(addon.matmul(a, b)));
    }`,
  );
}

// [x shape, w shape, padding, stride]: the seed CNN's convs, odd sizes and widths around the
// vector width, outputs 2 and 3 wide (many rows per 8 lanes), padded and strided ones that
// take the general lowering.
const CONV_CASES: [Shape4, Shape4, number, number][] = [
  [[5, 1, 28, 28], [8, 1, 3, 3], 0, 1],
  [[4, 6, 13, 13], [7, 6, 3, 3], 0, 1],
  [[3, 2, 9, 19], [3, 2, 3, 3], 0, 1],
  [[2, 3, 7, 10], [4, 3, 3, 3], 1, 1],
  [[2, 2, 11, 12], [3, 2, 3, 3], 0, 2],
  [[2, 3, 6, 9], [4, 3, 2, 2], 0, 1],
  [[3, 2, 5, 4], [3, 2, 3, 3], 0, 1],
  [[2, 2, 9, 3], [2, 2, 3, 1], 0, 1],
  // 12-row and 32-column tiles of the AVX-512 kernels, with 6-row and partial leftovers.
  [[2, 4, 12, 12], [26, 4, 3, 3], 0, 1],
  [[2, 16, 11, 11], [36, 16, 3, 3], 1, 1],
  // Small maps (<= 64 positions, >= 32 images, >= 16 channels): the k-range tiles, 12 rows at a time.
  [[33, 16, 4, 4], [30, 16, 3, 3], 1, 1],
  [[32, 17, 6, 6], [16, 17, 3, 3], 1, 2],
];

// Plain SGD's weight decays (no momentum: the vector kernels), over ADAM_SIZES.
const SGD_DECAYS = [0, 0.01];

// Adam's [weight decay, decoupled]: plain, L2 decay folded into the gradient, AdamW. Sizes leave
// every tail of the 8- and 16-lane loops, and the largest is split between threads mid-vector.
const ADAM_CASES: [number, boolean][] = [
  [0, false],
  [0.05, false],
  [0.05, true],
];
const ADAM_SIZES = [1, 7, 15, 17, 33, 40001];

// tanh and sigmoid (cpu/activation/): lengths leave every tail of the 8- and 16-lane loops, and the
// largest is split between threads mid-vector. The fused linear layers' rows of 9, 33 and 200
// columns put the bias's tail in every position; their operands have so few bits that every
// product and sum is exact, so the GEMM kernels' rounding cannot differ and the results must not.
// 300 rows and 530 columns: more than one of the bias gradient's 256-row blocks and 512-column chunks.
const ACT_SIZES = [1, 7, 15, 17, 33, 40001];
const ACT_LINEAR: [number, number, number][] = [
  [5, 3, 9],
  [17, 4, 33],
  [130, 2, 200],
  [300, 3, 530],
];
// mseLoss's forward (squaredDiff: the difference and its reduced squares): tails of the 16 lanes,
// and more than one of the reduction's 8192-element blocks.
const MSE_SIZES = [7, 33, 20001];
const ACT_ITEMS = ACT_SIZES.length * 2 + ACT_LINEAR.length * 6 + MSE_SIZES.length * 4;

// [m, k, n]: partial tiles on both edges, whole tiles, and a k long enough for several k blocks.
const GEMM_CASES: [number, number, number][] = [
  [7, 5, 3],
  [37, 53, 29],
  [130, 70, 150],
  [64, 700, 48],
  // The direct tiles: 10 and 15 columns (24-, 12- and 6-row tiles), 10 and 17 rows of a B read in place.
  [128, 512, 10],
  [29, 300, 15],
  [10, 128, 512],
  [17, 33, 100],
];

// Small decoded buffers share Node's pool, hence the copy of exactly their bytes.
function floats(b64: string): Float32Array {
  const u = Buffer.from(b64, 'base64');
  return new Float32Array(u.buffer.slice(u.byteOffset, u.byteOffset + u.length));
}

/** The largest |a - b| / (1 + |b|) of two encoded results of the same length. */
function worstRelative(aB64: string, bB64: string): number {
  const a = floats(aB64),
    b = floats(bB64);
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]) / (1 + Math.abs(b[j])));
  return worst;
}

describe('conv2d forward through packed panels', () => {
  it.each(CONV_CASES)('matches the direct sum for x %j, w %j, padding %i, stride %i', (xs, ws, pad, stride) => {
    const r = rng(xs[3] * 31 + ws[2]);
    const x = Float32Array.from({ length: xs.reduce((a, b) => a * b) }, () => r() - 0.5);
    const w = Float32Array.from({ length: ws.reduce((a, b) => a * b) }, () => r() - 0.5);
    const b = Float32Array.from({ length: ws[0] }, () => r() - 0.5);
    const [N, C, H, W] = xs,
      [K, , R, S] = ws;
    const OH = Math.floor((H + 2 * pad - R) / stride) + 1,
      OW = Math.floor((W + 2 * pad - S) / stride) + 1;
    const y = values(native.conv2d(tensor(x, xs), tensor(w, ws), tensor(b, [K]), stride, stride, pad, pad, 1, 1, 1));
    let worst = 0;
    for (let n = 0; n < N; n++)
      for (let k = 0; k < K; k++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            let acc = b[k];
            for (let c = 0; c < C; c++)
              for (let i = 0; i < R; i++)
                for (let j = 0; j < S; j++) {
                  const ih = oh * stride - pad + i,
                    iw = ow * stride - pad + j;
                  if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += x[((n * C + c) * H + ih) * W + iw] * w[((k * C + c) * R + i) * S + j];
                }
            worst = Math.max(worst, Math.abs(acc - y[((n * K + k) * OH + oh) * OW + ow]));
          }
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('portable kernels (NNLAB_DISABLE_AVX2=1)', () => {
  it('give the same bits as the default kernels for max pool, Adam, tanh and sigmoid, and close ones for conv2d', (ctx) => {
    const isa = native.cpuIsa();
    skipUnless(
      ctx,
      isa.kernels !== 'generic',
      `the default side already runs the portable kernels (CPU avx2: ${isa.avx2}): it would compare them with themselves`,
      'cpu-isa',
    );
    const fast = childResults({});
    const portable = childResults({ NNLAB_DISABLE_AVX2: '1', NNLAB_THREADS: process.env.NNLAB_THREADS ?? '' });
    expect(portable.length).toBe(fast.length);
    // Pooling is exact; conv sums may round differently between the two GEMM kernels (FMA).
    // Adam's and SGD's vector kernels run the portable loop's operations without FMA: exact too, and
    // so are tanh and sigmoid, whose every path runs the same fma sequence (kernels/activation_math.h).
    const exactItems =
      POOL_SHAPES.length * 3 + GENERAL_POOLS.length * 2 + ADAM_CASES.length * ADAM_SIZES.length * 3 + SGD_DECAYS.length * ADAM_SIZES.length;
    for (let i = 0; i < exactItems; i++) expect(portable[i], `pool, Adam or SGD item ${i}`).toBe(fast[i]);
    for (let i = exactItems; i < exactItems + ACT_ITEMS; i++)
      expect(portable[i], `tanh, sigmoid or squared difference item ${i}`).toBe(fast[i]);
    for (let i = exactItems + ACT_ITEMS; i < fast.length; i++) {
      expect(worstRelative(fast[i], portable[i]), `conv item ${i}`).toBeLessThan(1e-5);
    }
  });
});

describe('conv input gradient by pairs of grid panels', () => {
  it('agrees to rounding with one panel at a time (NNLAB_NO_BWI_PAIRS=1), and nothing else changes', () => {
    const pairs = childResults({});
    const single = childResults({ NNLAB_NO_BWI_PAIRS: '1' });
    expect(single.length).toBe(pairs.length);
    const convStart =
      POOL_SHAPES.length * 3 +
      GENERAL_POOLS.length * 2 +
      ADAM_CASES.length * ADAM_SIZES.length * 3 +
      SGD_DECAYS.length * ADAM_SIZES.length +
      ACT_ITEMS;
    for (let i = 0; i < pairs.length; i++) {
      // Per conv case: forward, input gradient, weight gradient, bias gradient; only the input gradient's
      // sums into dx run in another order.
      const inputGrad = i >= convStart && i < convStart + CONV_CASES.length * 4 && (i - convStart) % 4 === 1;
      if (!inputGrad) {
        expect(single[i], `result ${i}`).toBe(pairs[i]);
        continue;
      }
      expect(worstRelative(pairs[i], single[i]), `input gradient ${i}`).toBeLessThan(1e-5);
    }
  });
});

describe('AVX-512 GEMM kernels (where the CPU has AVX-512)', () => {
  it('give the same bits as the AVX2 kernels (NNLAB_DISABLE_AVX512=1) for every pool, conv and product', (ctx) => {
    const isa = native.cpuIsa();
    console.log(`ISA: kernels ${isa.kernels}, CPU avx2 ${isa.avx2}, avx512 ${isa.avx512}`);
    skipUnless(
      ctx,
      isa.kernels === 'avx512',
      `the AVX-512 side would run ${isa.kernels} kernels (CPU avx512: ${isa.avx512}): it would compare AVX2 with itself`,
      'cpu-isa',
    );
    const fast = childResults({});
    const avx2 = childResults({ NNLAB_DISABLE_AVX512: '1', NNLAB_THREADS: process.env.NNLAB_THREADS ?? '' });
    expect(avx2.length).toBe(fast.length);
    // Same tiles, same fused multiply-add sequence per element: identical, not merely close.
    for (let i = 0; i < fast.length; i++) expect(avx2[i], `result ${i}`).toBe(fast[i]);
  });
});
