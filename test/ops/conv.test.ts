import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError } from '../../lib/core/errors.js';
import { expectClose, grad, native, numel, randomArray, sampleIndices, tensor, testDevices, values } from '../support/op-test.js';

interface Cfg {
  name: string;
  /** Sized to select a CPU fast path (small maps, grouped gathered, Winograd): cpu only, see below. */
  cpuPath?: boolean;
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: [number, number];
  pad: [number, number];
  dil: [number, number];
  groups: number;
  bias: boolean;
}

const cfg = (name: string, x: Cfg['x'], w: Cfg['w'], o: Partial<Cfg> = {}): Cfg => ({
  name,
  x,
  w,
  stride: [1, 1],
  pad: [0, 0],
  dil: [1, 1],
  groups: 1,
  bias: true,
  ...o,
});

const CASES: Cfg[] = [
  cfg('3x3 plain, odd sizes', [2, 3, 7, 9], [4, 3, 3, 3]),
  cfg('stride 2, pad 1, groups 2', [3, 4, 11, 10], [6, 2, 3, 3], { stride: [2, 2], pad: [1, 1], groups: 2 }),
  cfg('dilation 2, pad 2, groups 4', [2, 4, 9, 9], [8, 1, 3, 3], { pad: [2, 2], dil: [2, 2], groups: 4 }),
  cfg('depthwise', [2, 6, 8, 7], [6, 1, 3, 3], { pad: [1, 1], groups: 6, bias: false }),
  cfg('1x1 small planes (batched lowering)', [3, 5, 6, 5], [7, 5, 1, 1]),
  cfg('1x1 large planes (no im2col)', [2, 3, 16, 17], [4, 3, 1, 1], { bias: false }),
  cfg('1x1 stride 2', [2, 3, 9, 8], [4, 3, 1, 1], { stride: [2, 2] }),
  cfg('rectangular kernel, mixed params', [2, 3, 8, 11], [5, 3, 2, 5], { stride: [2, 1], pad: [1, 2], dil: [1, 2] }),
  cfg('single input channel (conv1-like)', [5, 1, 28, 28], [8, 1, 3, 3]),
  cfg('many tiny images', [9, 3, 5, 5], [4, 3, 3, 3], { pad: [1, 0] }),
  cfg('batch of one', [1, 8, 12, 12], [16, 8, 3, 3], { pad: [1, 1] }),
  cfg('kernel equals padded input', [2, 2, 3, 4], [3, 2, 5, 6], { pad: [1, 1] }),
  // Products on gather matrices (stride 1, no padding): k blocks spanning images, lowered rows
  // past one panel, partial tiles; dilation; input-gradient runs that leave a tiny image.
  cfg('gathered: blocks over image edges, partial tiles', [9, 5, 9, 11], [13, 5, 3, 3]),
  cfg('gathered: dilation 2', [3, 4, 12, 10], [7, 4, 3, 3], { dil: [2, 2] }),
  cfg('gathered: planes smaller than a panel', [3, 4, 3, 4], [5, 4, 2, 2]),
  cfg('direct weight gradient: 2 channels, 1x5 kernel', [4, 2, 9, 13], [9, 2, 1, 5]),
  cfg('7x7 stride 2 pad 3 (resnet stem): padded, phase-split input', [3, 3, 13, 11], [5, 3, 7, 7], { stride: [2, 2], pad: [3, 3] }),
  cfg('stride 3, pad 2, dilation 2: 9 phases', [2, 3, 14, 13], [4, 3, 3, 2], { stride: [3, 3], pad: [2, 2], dil: [2, 2] }),
  // Small maps, batch >= 32 (one product per output position over the images, valid taps only).
  cfg('small maps: 4x4, pad 1', [33, 16, 4, 4], [17, 16, 3, 3], { pad: [1, 1], cpuPath: true }),
  cfg('small maps: stride 2 to 2x2', [34, 16, 4, 4], [20, 16, 3, 3], { stride: [2, 2], pad: [1, 1], bias: false, cpuPath: true }),
  cfg('small maps: 1x1 map, pad 1', [32, 19, 1, 1], [25, 19, 3, 3], { pad: [1, 1], cpuPath: true }),
  cfg('small maps: 1x1 stride-2 downsample', [40, 16, 4, 4], [18, 16, 1, 1], { stride: [2, 2], bias: false, cpuPath: true }),
  cfg('small maps: dilation 2, pad 2', [32, 16, 4, 4], [16, 16, 3, 3], { pad: [2, 2], dil: [2, 2], cpuPath: true }),
  cfg('small maps: 8x8, pad 1, odd batch', [37, 16, 8, 8], [17, 16, 3, 3], { pad: [1, 1], cpuPath: true }),
  // Grouped convolutions with >= 6 output channels per group (a batched ensemble's stacked
  // members) on the gathered paths, one group after another: bands of x, dy and dx per group,
  // runs of the input gradient that cross into the next group's planes.
  cfg('grouped gathered: 3 groups of 6, partial tiles', [4, 6, 9, 10], [18, 2, 3, 3], { groups: 3, cpuPath: true }),
  cfg('grouped gathered: stride 2, pad 1 (padded copy)', [3, 8, 11, 9], [14, 4, 3, 3], {
    stride: [2, 2],
    pad: [1, 1],
    groups: 2,
    bias: false,
    cpuPath: true,
  }),
  cfg('grouped gathered: one input channel per group (direct weight gradient)', [3, 3, 12, 13], [24, 1, 3, 3], {
    groups: 3,
    cpuPath: true,
  }),
  cfg('grouped gathered: dilation 2, planes of 256+ positions', [2, 4, 20, 19], [16, 2, 3, 3], { dil: [2, 2], groups: 2, cpuPath: true }),
  cfg('grouped gathered: 7 groups, 2x2 kernel, tiny planes', [5, 14, 4, 3], [49, 2, 2, 2], { groups: 7, cpuPath: true }),
  // The 3x3 stride-1 weight gradient without packing (conv_bww3x3.h): >= 16 output channels per
  // group, tiles of 32 and 16 columns, a column tail past K, padding read from the padded copy.
  cfg('3x3 weight gradient: 3 groups of 16, pad 1', [4, 6, 9, 8], [48, 2, 3, 3], { pad: [1, 1], groups: 3, cpuPath: true }),
  cfg('3x3 weight gradient: 40 output channels, unpadded', [3, 5, 10, 12], [40, 5, 3, 3], { cpuPath: true }),
  // Stride-1 forward by output-row tiles (conv_rows.h): >= 16 output channels and >= 32 products
  // per output per group; rows split into equal tiles (15 -> 8 + 7), a 16-channel last block.
  cfg('row tiles: 2 groups of 16, 12-wide rows', [3, 8, 9, 14], [32, 4, 3, 3], { groups: 2, cpuPath: true }),
  cfg('row tiles: dilation 2, pad 1, 15-wide rows, 20 channels', [2, 6, 11, 17], [20, 6, 3, 3], {
    pad: [1, 1],
    dil: [2, 2],
    cpuPath: true,
  }),
  // Winograd F(2x2, 3x3): 3x3 stride 1, >= 32 channels in and >= 64 out per group, maps >= 4x4
  // that 2x2 tiles cover with <= 10% overhang, >= 128 tiles in all. Odd sizes (edge tiles clipped: 23x21 output),
  // rows of tiles wider than 8, tiles of a panel spanning images, padding 0..2 (the input
  // gradient runs with padding 2 - pad), groups; forward and input gradient both take it.
  cfg('winograd: 8x8, pad 1 (ResNet layer1)', [8, 64, 8, 8], [64, 64, 3, 3], { pad: [1, 1], bias: false, cpuPath: true }),
  cfg('winograd: odd 23x21 output, pad 1, bias', [2, 64, 23, 21], [66, 64, 3, 3], { pad: [1, 1], cpuPath: true }),
  cfg('winograd: unpadded, 32 -> 64 channels, 18x16 output', [2, 32, 20, 18], [64, 32, 3, 3], { cpuPath: true }),
  cfg('winograd: 2 groups, pad 2, 8x6 output', [22, 128, 6, 4], [128, 64, 3, 3], { pad: [2, 2], groups: 2, cpuPath: true }),
  cfg('winograd: 4x4 maps, 33 images', [33, 64, 4, 4], [64, 64, 3, 3], { pad: [1, 1], cpuPath: true }),
];

const outSize = (i: number, k: number, s: number, p: number, d: number) => Math.floor((i + 2 * p - d * (k - 1) - 1) / s) + 1;

/** Visits every multiply of the convolution: (x index, w index, y index). */
function visit(c: Cfg, f: (xi: number, wi: number, yi: number) => void) {
  const [N, C, H, W] = c.x,
    [K, Cg, R, S] = c.w;
  const OH = outSize(H, R, c.stride[0], c.pad[0], c.dil[0]),
    OW = outSize(W, S, c.stride[1], c.pad[1], c.dil[1]);
  const Kg = K / c.groups;
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      const g = Math.floor(k / Kg);
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++)
          for (let ci = 0; ci < Cg; ci++)
            for (let r = 0; r < R; r++)
              for (let s = 0; s < S; s++) {
                const ih = oh * c.stride[0] - c.pad[0] + r * c.dil[0];
                const iw = ow * c.stride[1] - c.pad[1] + s * c.dil[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                f(((n * C + g * Cg + ci) * H + ih) * W + iw, ((k * Cg + ci) * R + r) * S + s, ((n * K + k) * OH + oh) * OW + ow);
              }
    }
  return [N, K, OH, OW];
}

function outShape(c: Cfg) {
  return [
    c.x[0],
    c.w[0],
    outSize(c.x[2], c.w[2], c.stride[0], c.pad[0], c.dil[0]),
    outSize(c.x[3], c.w[3], c.stride[1], c.pad[1], c.dil[1]),
  ];
}

function refForward(c: Cfg, x: Float32Array, w: Float32Array, b: Float32Array | null) {
  const ys = outShape(c);
  const y = new Float64Array(numel(ys));
  visit(c, (xi, wi, yi) => {
    y[yi] += x[xi] * w[wi];
  });
  if (b) for (let i = 0; i < y.length; i++) y[i] += b[Math.floor(i / (ys[2] * ys[3])) % ys[1]];
  return y;
}
function refBackwardInput(c: Cfg, dy: Float32Array, w: Float32Array) {
  const dx = new Float64Array(numel(c.x));
  visit(c, (xi, wi, yi) => {
    dx[xi] += dy[yi] * w[wi];
  });
  return dx;
}
function refBackwardWeight(c: Cfg, x: Float32Array, dy: Float32Array) {
  const dw = new Float64Array(numel(c.w));
  visit(c, (xi, wi, yi) => {
    dw[wi] += dy[yi] * x[xi];
  });
  return dw;
}

const params = (c: Cfg) => [c.stride[0], c.stride[1], c.pad[0], c.pad[1], c.dil[0], c.dil[1], c.groups] as const;

// The CPU backend picks among several convolution paths by shape (small maps, grouped gathered,
// Winograd) and partitions work by thread count; the cases sized to select those paths and the
// thread-count determinism cases run on cpu only. The CUDA backend has one path (im2col + GEMM
// in batch chunks), which the general cases cover; on the CUDA simulator the large CPU-path
// shapes with their finite-difference checks would take minutes.
const CPU_PATH_CASES = CASES.filter((c) => c.cpuPath).length;

describe.each(testDevices())('conv2d on %s', (device) => {
  const T = (a: Float32Array, s: number[]) => tensor(a, s, device);
  const cases = device === 'cpu' ? CASES : CASES.filter((c) => !c.cpuPath);
  if (device !== 'cpu')
    console.log(
      `conv2d on ${device}: ${CPU_PATH_CASES} CPU-path cases and the thread-count determinism cases run on cpu only (one CUDA conv path; covered by the ${cases.length} general cases)`,
    );
  const fwd = (c: Cfg, x: Float32Array, w: Float32Array, b: Float32Array | null) =>
    values(native.conv2d(T(x, c.x), T(w, c.w), b ? T(b, [c.w[0]]) : null, ...params(c)));

  describe.each(cases)('$name', (c) => {
    const x = randomArray(numel(c.x), 11);
    const w = randomArray(numel(c.w), 12);
    const b = c.bias ? randomArray(c.w[0], 13) : null;
    const ys = outShape(c);
    const wr = randomArray(numel(ys), 14); // loss = sum(y * wr), so dL/dy = wr

    it('forward matches the reference', () => {
      const y = native.conv2d(T(x, c.x), T(w, c.w), b ? T(b, [c.w[0]]) : null, ...params(c));
      expect(y.shape).toEqual(ys);
      expectClose(values(y), refForward(c, x, w, b), 1e-4, 1e-4, 'y');
    });

    it('backward input matches the reference and finite differences', () => {
      const dx = values(native.conv2dBackwardInput(T(wr, ys), T(w, c.w), c.x, ...params(c)));
      expectClose(dx, refBackwardInput(c, wr, w), 1e-4, 1e-4, 'dx');
      const idx = sampleIndices(x.length, 24, 1);
      const num = grad.numeric((xv) => grad.weightedSum(fwd(c, xv, w, b), wr), Float32Array.from(x), 1e-2, idx);
      grad.expectClose(dx, num, idx, 1e-2, 1e-3, 'dx vs numeric');
    });

    it('backward weight and bias match the reference and finite differences', () => {
      const dw = values(native.conv2dBackwardWeight(T(x, c.x), T(wr, ys), c.w, ...params(c)));
      expectClose(dw, refBackwardWeight(c, x, wr), 1e-4, 1e-4, 'dw');
      const idx = sampleIndices(w.length, 24, 2);
      const num = grad.numeric((wv) => grad.weightedSum(fwd(c, x, wv, b), wr), Float32Array.from(w), 1e-2, idx);
      grad.expectClose(dw, num, idx, 1e-2, 1e-3, 'dw vs numeric');
      const db = values(native.conv2dBackwardBias(T(wr, ys)));
      const refDb = new Float64Array(ys[1]);
      for (let i = 0; i < wr.length; i++) refDb[Math.floor(i / (ys[2] * ys[3])) % ys[1]] += wr[i];
      expectClose(db, refDb, 1e-5, 1e-5, 'db');
      if (b) {
        const bi = sampleIndices(b.length, 8, 3);
        const numB = grad.numeric((bv) => grad.weightedSum(fwd(c, x, w, bv), wr), Float32Array.from(b), 1e-2, bi);
        grad.expectClose(db, numB, bi, 1e-2, 1e-3, 'db vs numeric');
      }
    });
  });

  // Padded (gathered forward/weight gradient on a padded copy), unpadded (every gathered pass) and
  // small maps at batch 40 (per-position products): each path's partition depends on the threads.
  it.each(
    device !== 'cpu'
      ? []
      : [
          cfg('det padded', [16, 8, 13, 13], [16, 8, 3, 3], { pad: [1, 1] }),
          cfg('det unpadded', [16, 8, 13, 13], [16, 8, 3, 3]),
          cfg('det small maps', [40, 16, 4, 4], [24, 16, 3, 3], { pad: [1, 1] }),
          cfg('det grouped', [16, 12, 13, 13], [24, 4, 3, 3], { groups: 3 }),
          cfg('det winograd', [9, 64, 8, 8], [64, 64, 3, 3], { pad: [1, 1] }),
          cfg('det grouped conv1-like', [16, 3, 14, 14], [24, 1, 3, 3], { groups: 3 }),
        ],
  )('is deterministic and agrees across thread counts ($name)', (c) => {
    const x = T(randomArray(numel(c.x), 21), c.x),
      w = T(randomArray(numel(c.w), 22), c.w);
    const dy = T(randomArray(numel(outShape(c)), 23), outShape(c));
    const run = () => [
      values(native.conv2d(x, w, null, ...params(c))),
      values(native.conv2dBackwardInput(dy, w, c.x, ...params(c))),
      values(native.conv2dBackwardWeight(x, dy, c.w, ...params(c))),
    ];
    const a = run(),
      b = run();
    for (let i = 0; i < a.length; i++) expect(Buffer.from(a[i].buffer).equals(Buffer.from(b[i].buffer))).toBe(true);
    const threads = native.numThreads();
    // Under NNLAB_THREADS=1 (or on one core) "all threads vs 1 thread" would compare 1 with 1:
    // the multi-threaded side then runs 2 threads, so both partitions are always exercised.
    native.setNumThreads(Math.max(threads, 2));
    const many = run();
    native.setNumThreads(1);
    try {
      const s = run();
      for (let i = 0; i < a.length; i++) expectClose(s[i], many[i], 1e-4, 1e-4, `threads ${i}`);
    } finally {
      native.setNumThreads(threads);
    }
  });

  it('keeps inf where the direct sum does (Winograd-eligible shape: non-finite inputs take another path)', () => {
    const c = cfg('winograd inf', [8, 64, 8, 8], [64, 64, 3, 3], { pad: [1, 1], bias: false });
    const x = Float32Array.from(randomArray(numel(c.x), 31), Math.abs);
    const w = Float32Array.from(randomArray(numel(c.w), 32), Math.abs);
    x[3 * 64 + 2 * 8 + 5] = Infinity; // image 0, channel 3, row 2, column 5
    const y = values(native.conv2d(T(x, c.x), T(w, c.w), null, ...params(c)));
    const ref = refForward(c, x, w, null);
    let infs = 0;
    for (let i = 0; i < y.length; i++) {
      expect(Number.isNaN(y[i]), `y[${i}]`).toBe(false);
      if (ref[i] === Infinity) {
        expect(y[i]).toBe(Infinity);
        infs++;
      } else expect(Math.abs(y[i] - ref[i])).toBeLessThan(1e-3 * (1 + Math.abs(ref[i])));
    }
    expect(infs).toBe(64 * 9); // every output channel at the 3x3 positions around the pixel
    const dy = Float32Array.from(randomArray(numel(outShape(c)), 33), Math.abs);
    dy[5] = Infinity;
    const dx = values(native.conv2dBackwardInput(T(dy, outShape(c)), T(w, c.w), c.x, ...params(c)));
    const refDx = refBackwardInput(c, dy, w);
    for (let i = 0; i < dx.length; i++) {
      expect(Number.isNaN(dx[i]), `dx[${i}]`).toBe(false);
      if (refDx[i] === Infinity) expect(dx[i]).toBe(Infinity);
    }
  });

  it('handles an empty batch', () => {
    const y = native.conv2d(T(new Float32Array(0), [0, 2, 5, 5]), T(randomArray(36, 1), [2, 2, 3, 3]), null, 1, 1, 0, 0, 1, 1, 1);
    expect(y.shape).toEqual([0, 2, 3, 3]);
    const dw = native.conv2dBackwardWeight(
      T(new Float32Array(0), [0, 2, 5, 5]),
      T(new Float32Array(0), [0, 2, 3, 3]),
      [2, 2, 3, 3],
      1,
      1,
      0,
      0,
      1,
      1,
      1,
    );
    expect(Array.from(values(dw))).toEqual(new Array(36).fill(0));
  });

  it('rejects bad input with typed errors naming shapes', () => {
    const x = T(randomArray(8 * 32 * 28 * 28, 1), [8, 32, 28, 28]);
    const w = T(randomArray(64 * 16 * 9, 2), [64, 16, 3, 3]);
    const ok = [1, 1, 0, 0, 1, 1, 1] as const;
    expect(() => native.conv2d(x, w, null, ...ok)).toThrow(ShapeError);
    expect(() => native.conv2d(x, w, null, ...ok)).toThrow(
      "conv2d: 'weight' [64, 16, 3, 3] expects 16*groups=16 input channels but 'x' [8, 32, 28, 28] has 32",
    );
    expect(() => native.conv2d(x, w, null, 1, 1, 0, 0, 1, 1, 3)).toThrow(/not divisible by groups=3/);
    expect(native.conv2d(x, w, null, 1, 1, 0, 0, 1, 1, 2).shape).toEqual([8, 64, 26, 26]);
    expect(() => native.conv2d(T(randomArray(12, 1), [3, 4]), w, null, ...ok)).toThrow(/'x' must be 4-D.*\[3, 4\]/);
    expect(() => native.conv2d(x, T(randomArray(4, 1), [2, 2]), null, ...ok)).toThrow(ShapeError);
    const small = T(randomArray(2 * 16 * 4 * 4, 3), [2, 16, 4, 4]);
    expect(() => native.conv2d(small, T(randomArray(64 * 16 * 25, 2), [64, 16, 5, 5]), null, ...ok)).toThrow(ShapeError);
    expect(() => native.conv2d(small, T(randomArray(64 * 16 * 25, 2), [64, 16, 5, 5]), null, ...ok)).toThrow(
      /larger than the padded input 4x4/,
    );
    expect(() => native.conv2d(small, w, null, 1, 1, 0, 0, 3, 3, 1)).toThrow(/dilated to 7x7/);
    expect(native.conv2d(small, w, null, 1, 1, 2, 2, 3, 3, 1).shape).toEqual([2, 64, 2, 2]);
    expect(() => native.conv2d(small, w, null, 0, 1, 0, 0, 1, 1, 1)).toThrow(ArgumentError);
    expect(() => native.conv2d(small, w, null, 1, 1, -1, 0, 1, 1, 1)).toThrow(/padH/);
    expect(() => native.conv2d(small, w, null, 1, 1, 0, 0, 0, 1, 1)).toThrow(ArgumentError);
    expect(() => native.conv2d(small, w, null, 1, 1, 0, 0, 1, 1, 0)).toThrow(ArgumentError);
    expect(() => native.conv2d(small, w, null, 1.5, 1, 0, 0, 1, 1, 1)).toThrow(ArgumentError);
    expect(() => native.conv2d(small, w, T(randomArray(3, 1), [3]), ...ok)).toThrow(/'bias' must have shape \[64\].*got \[3\]/);
    const xi = native.fromTypedArray(new Int32Array(2 * 16 * 16), [2, 16, 4, 4], device);
    expect(() => native.conv2d(xi, w, null, ...ok)).toThrow(DTypeError);
    expect(() => native.conv2d({} as never, w, null, ...ok)).toThrow(ArgumentError);
    const dy = T(randomArray(2 * 64 * 4, 4), [2, 64, 2, 2]);
    const dyBad = T(randomArray(2 * 64 * 9, 4), [2, 64, 3, 3]);
    expect(() => native.conv2dBackwardInput(dyBad, w, [2, 16, 4, 4], ...ok)).toThrow(ShapeError);
    expect(() => native.conv2dBackwardInput(dyBad, w, [2, 16, 4, 4], ...ok)).toThrow(
      "conv2dBackwardInput: 'dy' must have the output shape [2, 64, 2, 2] of this convolution, got [2, 64, 3, 3]",
    );
    expect(() => native.conv2dBackwardWeight(small, dyBad, [64, 16, 3, 3], ...ok)).toThrow(ShapeError);
    expect(native.conv2dBackwardInput(dy, w, [2, 16, 4, 4], 1, 1, 0, 0, 1, 1, 1).shape).toEqual([2, 16, 4, 4]);
    expect(() => native.conv2dBackwardWeight(small, dy, [64, 8, 3, 3], ...ok)).toThrow(/expects 8\*groups=8 input channels/);
    expect(() => native.conv2dBackwardWeight(small, dy, [64, 16, 3], ...ok)).toThrow(ShapeError);
    expect(() => native.conv2dBackwardBias(T(randomArray(4, 1), [4]))).toThrow(ShapeError);
  });
});
