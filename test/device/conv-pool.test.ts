// Conv2d then MaxPool2d as one op (ops.conv2dMaxPool2d, native/core/conv_pool.h): the convolution's
// output is made, pooled and, in backward, rebuilt from the pooled gradient a block of images at
// a time, or, for a first layer's 3x3 filters over one channel per group, by the CPU's own kernel
// (native/cpu/conv/conv_pool_direct.h), where it never exists. It must give the two ops' values and
// gradients to float rounding (sums are taken in another order), whatever the number of blocks,
// and Sequential must use it for a first layer.

import { describe, expect, it } from 'vitest';

import { backward, noGrad, RandomGenerator, nn, ops, seedCnn, tensor, tidy } from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { childAddonResults } from '../support/child-addon.js';
import { native, randomArray, testDevices } from '../support/native.js';

interface Case {
  label: string;
  x: number[];
  w: number[];
  conv: ops.Conv2dOptions;
  kernel: number;
  pool?: ops.Pool2dOptions;
  bias?: boolean;
  /** Whether x requires a gradient (default true): without, the CPU kernel takes the 3x3 cases. */
  inputGrad?: boolean;
}

const CASES: Case[] = [
  { label: 'seed CNN first layer', x: [5, 1, 28, 28], w: [8, 1, 3, 3], conv: {}, kernel: 2 },
  {
    label: 'groups, padding, odd sizes, no bias',
    x: [3, 4, 13, 11],
    w: [6, 2, 3, 3],
    conv: { groups: 2, padding: 1 },
    kernel: 2,
    bias: false,
  },
  {
    label: 'strided conv, 3x3 pool with padding',
    x: [2, 3, 11, 10],
    w: [5, 3, 2, 2],
    conv: { stride: 2 },
    kernel: 3,
    pool: { stride: 2, padding: 1 },
  },
  // 1 MB of convolution output per image: blocks of one or two images (three to six blocks).
  { label: 'many blocks', x: [6, 2, 66, 66], w: [64, 1, 3, 3], conv: { groups: 2 }, kernel: 2 },
  // The CPU kernel's shapes: one input channel per group, 3x3, stride 1; rows of 13 and of 16 + 4
  // pooled outputs, an odd convolution output (its last row and column pooled by no window).
  { label: 'first layer, input without gradient', x: [5, 1, 28, 28], w: [8, 1, 3, 3], conv: {}, kernel: 2, inputGrad: false },
  { label: 'stacked first layer (7 groups)', x: [3, 7, 28, 28], w: [70, 1, 3, 3], conv: { groups: 7 }, kernel: 2, inputGrad: false },
  {
    label: 'wide rows, odd output, no bias',
    x: [2, 2, 43, 41],
    w: [6, 1, 3, 3],
    conv: { groups: 2 },
    kernel: 2,
    inputGrad: false,
    bias: false,
  },
  // The seed CNN's conv2 (32 channels, 3x3): the rows convolution, whose output the CPU pools as it
  // leaves the tiles when no indices are wanted; 11x11 is odd (its last row and column unpooled).
  { label: 'seed CNN second layer', x: [5, 32, 13, 13], w: [64, 32, 3, 3], conv: {}, kernel: 2, inputGrad: false },
  {
    label: 'rows convolution: groups, padding, 24 channels a group, even output',
    x: [3, 32, 12, 12],
    w: [48, 16, 3, 3],
    conv: { groups: 2, padding: 1 },
    kernel: 2,
    inputGrad: false,
  },
];

interface Result {
  y: Float32Array;
  grads: Float32Array[];
}

/** A tensor of `shape` filled with the seeded uniform values in [-1, 1). */
function filled(shape: number[], seed: number, options: { device: 'cpu' | 'cuda'; requiresGrad?: boolean }) {
  return tensor(
    randomArray(
      shape.reduce((a, n) => a * n),
      seed,
      -1,
      1,
    ),
    shape,
    options,
  );
}

/** Values and gradients (x, w, b) of `f` under a fixed weighting of its output. */
function run(c: Case, device: 'cpu' | 'cuda', fused: boolean): Result {
  return tidy(() => {
    const x = filled(c.x, 1, { device, requiresGrad: c.inputGrad !== false });
    const w = filled(c.w, 2, { device, requiresGrad: true });
    const b = c.bias === false ? null : tensor(randomArray(c.w[0], 3, -1, 1), [c.w[0]], { device, requiresGrad: true });
    const y = fused ? ops.conv2dMaxPool2d(x, w, b, c.conv, c.kernel, c.pool) : ops.maxPool2d(ops.conv2d(x, w, b, c.conv), c.kernel, c.pool);
    backward(ops.sum(ops.mul(y, tensor(randomArray(y.numel, 4), y.shape.slice(), { device }))));
    const leaves = [...(x.requiresGrad ? [x] : []), w, ...(b ? [b] : [])];
    const out = { y: Float32Array.from(y.data()), grads: leaves.map((t) => Float32Array.from(t.grad!.data())) };
    leaves.forEach((t) => t.grad!.dispose());
    return out;
  });
}

/** Largest |a - b| / (1 + |b|). */
function worst(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return m;
}

describe.each(testDevices())('conv2dMaxPool2d on %s', (device) => {
  it.each(CASES)('matches conv2d then maxPool2d: $label', (c) => {
    const fused = run(c, device, true),
      apart = run(c, device, false);
    expect(worst(fused.y, apart.y)).toBeLessThan(1e-6);
    expect(fused.grads.length).toBe(apart.grads.length);
    fused.grads.forEach((g, i) => expect(worst(g, apart.grads[i]), `gradient ${i}`).toBeLessThan(2e-5));
  });
});

/** Every gradFn name in the graph behind t. */
function graphOps(t: Tensor): string[] {
  const names: string[] = [],
    seen = new Set<Tensor>(),
    stack = [t];
  while (stack.length) {
    const u = stack.pop()!;
    if (seen.has(u) || !u.gradFn) continue;
    seen.add(u);
    names.push(u.gradFn.name);
    stack.push(...u.gradFn.inputs);
  }
  return names;
}

describe('Sequential', () => {
  it("runs a first Conv2d and its MaxPool2d (ReLU between) as one op, with the separate ops' values", () => {
    const model = seedCnn(new RandomGenerator(5));
    tidy(() => {
      const x = tensor(randomArray(4 * 784, 6, -1, 1), [4, 1, 28, 28]);
      const y = model.forward(x);
      const names = graphOps(y);
      expect(names.filter((n) => n === 'conv2dMaxPool2d')).toHaveLength(1);
      // The second convolution's input needs a gradient: it stays two ops.
      expect(names.filter((n) => n === 'conv2d')).toHaveLength(1);
      const [c1, , , c2, , , , l1, , l2] = model.layers as [
        nn.Conv2d,
        nn.Module,
        nn.Module,
        nn.Conv2d,
        nn.Module,
        nn.Module,
        nn.Module,
        nn.Linear,
        nn.Module,
        nn.Linear,
      ];
      let h = ops.relu(ops.maxPool2d(ops.conv2d(x, c1.weight, c1.bias), 2));
      h = ops.relu(ops.maxPool2d(ops.conv2d(h, c2.weight, c2.bias), 2));
      const ref = ops.linear(ops.relu(ops.linear(ops.reshape(h, [4, 1600]), l1.weight, l1.bias)), l2.weight, l2.bias);
      expect(worst(Float32Array.from(y.data()), Float32Array.from(ref.data()))).toBeLessThan(1e-5);
    });
  });
});

// The CPU kernels in a child process (NNLAB_* variables are read once per process): forward
// values and indices, then the weight and bias gradients, without and with relu's backward, of the
// stacked first-layer shape and of a wide one, each result as base64.
function kernelResults(env: Record<string, string>): string[] {
  return childAddonResults(
    env,
    5,
    `
    const t = (n, shape) => addon.fromTypedArray(Float32Array.from({ length: n }, () => rnd() - 0.5), shape, 'cpu');
    for (const [xs, ws, groups] of [[[4, 7, 28, 28], [70, 1, 3, 3], 7], [[2, 2, 43, 41], [6, 1, 3, 3], 2]]) {
      const x = t(xs.reduce((a, b) => a * b), xs), w = t(ws.reduce((a, b) => a * b), ws), b = t(ws[0], [ws[0]]);
      const args = [1, 1, 0, 0, 1, 1, groups, 2, 2, 2, 2, 0, 0];
      const [y, idx] = addon.conv2dMaxPool2d(x, w, b, ...args);
      const [, dw, db] = addon.conv2dMaxPool2dBackward(t(y.numel, y.shape), idx, x, w, true, false, ...args);
      // The same backward through relu (its gradient read off y, as if the forward had applied it).
      const [, rdw, rdb] = addon.conv2dMaxPool2dBackward(t(y.numel, y.shape), idx, x, w, true, false, ...args, y);
      out.push(b64(y), b64(idx), b64(dw), b64(db), b64(rdw), b64(rdb));
    }`,
  );
}

function floats(b64: string): Float32Array {
  const u = Buffer.from(b64, 'base64');
  return new Float32Array(u.buffer.slice(u.byteOffset, u.byteOffset + u.length));
}

describe('the CPU kernels of conv2dMaxPool2d', () => {
  it('AVX2 (NNLAB_DISABLE_AVX512=1) gives the AVX-512 values and indices bit for bit, gradients to rounding; the blocks agree', () => {
    const fast = kernelResults({}),
      avx2 = kernelResults({ NNLAB_DISABLE_AVX512: '1' });
    const blocks = kernelResults({ NNLAB_NO_CONV_POOL_KERNEL: '1' });
    for (let i = 0; i < fast.length; i++) {
      const forward = i % 6 < 2;
      if (forward) expect(avx2[i], `result ${i}`).toBe(fast[i]);
      else expect(worst(floats(avx2[i]), floats(fast[i])), `result ${i}`).toBeLessThan(1e-5);
      // The blocks run the general convolution: values to rounding, hence indices compared only
      // through the gradients they route.
      if (i % 6 !== 1) expect(worst(floats(blocks[i]), floats(fast[i])), `result ${i} against the blocks`).toBeLessThan(1e-5);
    }
  });
});

describe('conv2dMaxPool2d backward with caller-made indices', () => {
  it('routes an index outside its own window (but inside the plane) as the pooling backward does', () => {
    const xs = [3, 2, 12, 12],
      ws = [4, 1, 3, 3],
      args = [1, 1, 0, 0, 1, 1, 2, 2, 2, 2, 2, 0, 0] as const;
    const x = tensor(randomArray(3 * 2 * 144, 21), xs),
      w = tensor(randomArray(36, 22), ws);
    const [, idx] = native.conv2dMaxPool2d(x.handle, w.handle, null, ...args);
    const moved = Int32Array.from(native.toTypedArray(idx) as Int32Array);
    moved[7] = 0; // window (0, 2) of its plane now points at cell (0, 0)
    const indices = native.fromTypedArray(moved, [3, 4, 5, 5], 'cpu');
    const dy = tensor(randomArray(3 * 4 * 25, 23), [3, 4, 5, 5]);
    const [, dw, db] = native.conv2dMaxPool2dBackward(dy.handle, indices, x.handle, w.handle, true, false, ...args);
    const dconv = native.maxPool2dBackward(dy.handle, indices, [3, 4, 10, 10], 2, 2, 2, 2, 0, 0);
    const refW = native.conv2dBackwardWeight(x.handle, dconv, ws, 1, 1, 0, 0, 1, 1, 2),
      refB = native.conv2dBackwardBias(dconv);
    expect(worst(native.toTypedArray(dw) as Float32Array, native.toTypedArray(refW) as Float32Array)).toBeLessThan(1e-5);
    expect(worst(native.toTypedArray(db!) as Float32Array, native.toTypedArray(refB) as Float32Array)).toBeLessThan(1e-5);
  });
});

describe('conv2dMaxPool2d errors', () => {
  const x = () => tensor(randomArray(2 * 8 * 8, 7), [2, 1, 8, 8]);
  const w = () => tensor(randomArray(3 * 9, 8), [3, 1, 3, 3]);

  it('names the shapes when the pool does not fit the convolution output', () => {
    expect(() => ops.conv2dMaxPool2d(x(), w(), null, {}, 7)).toThrow(
      /kernel 7x7 is larger than the padded input 6x6 of 'the convolution's output' \[2, 3, 6, 6\]/,
    );
  });

  it('rejects a gradient of the wrong shape and indices outside their plane', () => {
    const xs = x(),
      ws = w();
    const [y, idx] = native.conv2dMaxPool2d(xs.handle, ws.handle, null, 1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 0);
    const args = [1, 1, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 0] as const;
    const wrong = tensor(new Float32Array(2 * 3 * 2 * 2), [2, 3, 2, 2]);
    expect(() => native.conv2dMaxPool2dBackward(wrong.handle, idx, xs.handle, ws.handle, false, false, ...args)).toThrow(
      /'dy' must have the pooled shape \[2, 3, 3, 3\] of the convolution's output \[2, 3, 6, 6\], got \[2, 3, 2, 2\]/,
    );
    const bad = Int32Array.from(native.toTypedArray(idx) as Int32Array);
    bad[5] = 36;
    const badIdx = native.fromTypedArray(bad, [2, 3, 3, 3], 'cpu');
    expect(() => native.conv2dMaxPool2dBackward(y, badIdx, xs.handle, ws.handle, false, false, ...args)).toThrow(
      /'indices' element 5 is 36, outside the 6x6 plane/,
    );
  });
});

/** The bytes of a tensor's values, for bit-for-bit comparisons. */
const bytes = (t: Tensor) => Buffer.from(Float32Array.from(t.data() as Float32Array).buffer);

// Training's form: relu applied in the op and its gradient taken in the op's backward, from the
// op's output. Values and every gradient: exactly relu of the indexed op and relu's backward, with
// and without an input gradient (the CPU's own kernel for the first-layer shapes, else the blocks).
// About half the pooled values are negative, so relu's gradient is zero for about half.
describe.each(testDevices())('conv2dMaxPool2d with relu and gradients, on %s', (device) => {
  it.each(CASES)('$label', (c) => {
    const run = (fused: boolean) =>
      tidy(() => {
        const x = filled(c.x, 41, { device, requiresGrad: c.inputGrad !== false });
        const w = filled(c.w, 42, { device, requiresGrad: true });
        const b = c.bias === false ? null : tensor(randomArray(c.w[0], 43, -1, 1), [c.w[0]], { device, requiresGrad: true });
        const y = fused
          ? ops.conv2dMaxPool2d(x, w, b, c.conv, c.kernel, c.pool, { relu: true })
          : ops.relu(ops.conv2dMaxPool2d(x, w, b, c.conv, c.kernel, c.pool));
        backward(ops.sum(ops.mul(y, tensor(randomArray(y.numel, 44), y.shape.slice(), { device }))));
        const leaves = [...(x.requiresGrad ? [x] : []), w, ...(b ? [b] : [])];
        return [bytes(y), ...leaves.map((t) => bytes(t.grad!))];
      });
    const fused = run(true),
      apart = run(false);
    expect(fused.length).toBe(apart.length);
    fused.forEach((f, i) => expect(f.equals(apart[i]), `result ${i}`).toBe(true));
  });
});

// Inference's form (no gradient to follow): the pooling indices are never written out and relu,
// asked for, runs on each block while it is in cache. Values: exactly the indexed op's, then relu.
describe.each(testDevices())('conv2dMaxPool2d without indices, with relu, on %s', (device) => {
  it.each(CASES)('$label', (c) => {
    tidy(() => {
      const x = filled(c.x, 31, { device });
      const w = filled(c.w, 32, { device });
      const b = c.bias === false ? null : tensor(randomArray(c.w[0], 33, -1, 1), [c.w[0]], { device });
      // The same weights requiring a gradient: the op then writes indices (the training form).
      const indexed = ops.conv2dMaxPool2d(x, filled(c.w, 32, { device, requiresGrad: true }), b, c.conv, c.kernel, c.pool);
      for (const relu of [false, true]) {
        const fused = ops.conv2dMaxPool2d(x, w, b, c.conv, c.kernel, c.pool, { relu });
        const want = relu ? ops.relu(indexed) : indexed;
        // Buffer.equals: a deep comparison of a large array is slow
        expect(Buffer.from((fused.data() as Float32Array).buffer).equals(Buffer.from((want.data() as Float32Array).buffer))).toBe(true);
      }
    });
  });

  // Pooled maxima that are NaN (a later NaN cell wins, with its own payload), infinite, or -0 (ties:
  // the first cell wins; relu gives +0), on the rows convolution's path and on the blocks'. Only
  // the CPU's rows tiles are known to give -0 (they start from the bias; other algorithms add it).
  it.each([
    { label: 'rows convolution', x: [3, 32, 13, 13], w: [64, 32, 3, 3], negZero: device === 'cpu' },
    { label: 'blocks', x: [3, 2, 13, 13], w: [64, 2, 3, 3], negZero: false },
  ])('NaN, infinities and -0 as the indexed op: $label', ({ x: xs, w: ws, negZero }) => {
    tidy(() => {
      const xv = randomArray(
        xs.reduce((a, n) => a * n),
        35,
        -1,
        1,
      );
      const plane = xs[2] * xs[3];
      // Image 0 negative but at (4, 4): output channel 0's zero weights and -0 bias then give -0,
      // and +0 in the outputs (2..4, 2..4) that read (4, 4), so the window at (4, 4) ties +0 first
      // with -0. Image 1's NaN at (4, 4) makes the same outputs NaN in every channel: the window at
      // (4, 4) has a NaN first and numbers after it, others NaN after numbers.
      for (let i = 0; i < xs[1] * plane; i++) xv[i] = -Math.abs(xv[i]) - 0.5;
      xv[4 * xs[3] + 4] = 0.5;
      xv[xs[1] * plane + 4 * xs[3] + 4] = NaN;
      xv[2 * xs[1] * plane + 17] = Infinity; // image 2: +-inf, and NaN where they meet
      xv[2 * xs[1] * plane + plane + 90] = -Infinity;
      const wv = randomArray(
        ws.reduce((a, n) => a * n),
        36,
        -1,
        1,
      );
      wv.fill(0, 0, ws[1] * 9);
      const bv = randomArray(ws[0], 37, -1, 1);
      bv[0] = -0;
      const x = tensor(xv, xs, { device });
      const w = tensor(wv, ws, { device });
      const b = tensor(bv, [ws[0]], { device });
      const indexed = ops.conv2dMaxPool2d(x, tensor(wv, ws, { device, requiresGrad: true }), b, {}, 2);
      const iv = indexed.data() as Float32Array;
      expect(iv.some((v) => Number.isNaN(v)) && iv.includes(Infinity) && iv.includes(-Infinity)).toBe(true);
      if (negZero) expect(iv.some((v) => Object.is(v, -0))).toBe(true);
      for (const relu of [false, true]) {
        const fused = ops.conv2dMaxPool2d(x, w, b, {}, 2, undefined, { relu });
        const want = relu ? ops.relu(indexed) : indexed;
        expect(Buffer.from((fused.data() as Float32Array).buffer).equals(Buffer.from((want.data() as Float32Array).buffer))).toBe(true);
      }
    });
  });

  it('Sequential runs Conv2d, ReLU, MaxPool2d as one op without gradients: the same logits as with them', () => {
    tidy(() => {
      const model = seedCnn(new RandomGenerator(5)).to(device);
      const x = tensor(randomArray(6 * 784, 34, -1, 1), [6, 1, 28, 28], { device });
      const withGrad = model.forward(x).data() as Float32Array;
      const calls: string[] = [];
      const orig = native.unary;
      native.unary = (...a: Parameters<typeof native.unary>) => (calls.push(a[1]), orig(...a));
      let inference: Float32Array;
      try {
        inference = noGrad(() => model.forward(x).data() as Float32Array);
      } finally {
        native.unary = orig;
      }
      expect(calls).toEqual([]); // every relu ran inside a conv+pool op or the linear layer's
      expect(Buffer.from(inference.buffer)).toEqual(Buffer.from(withGrad.buffer));
    });
  });
});
