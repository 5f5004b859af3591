// The differentiable bilinear resize (interpolation matrices through matmul) against the native
// resize it stands in for, its gradient by central finite differences, and the whole seed-000
// pixel pipeline (resnet-pixel.ts) against the normalised images resnet-data.ts trains on.
import { describe, expect, it } from 'vitest';

import { attacks, data, RandomGenerator, noGrad, nn, ops, ShapeError, tensor, tidy } from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { pixelSplit } from '../../lib/studies/shared/adversarial.js';
import { loadMnist } from '../../lib/data/mnist.js';
import { loadResnetData, toModelInput } from '../../lib/data/resnet-data.js';
import { resnetPixelModel, resnetPixelTransform } from '../../lib/data/resnet-pixel.js';
import { gradcheck } from '../support/gradcheck.js';
import { randomArray, randomInts, testDevices } from '../support/native.js';

const values = (t: Tensor) => Float32Array.from(t.data() as Float32Array);

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(testDevices())('differentiable bilinear resize on %s', (device) => {
  it('equals the native resize within 1e-6 (up, down, non-square, 28 -> 32)', () => {
    for (const [n, c, H, W, h, w] of [
      [3, 1, 28, 28, 32, 32],
      [2, 3, 7, 5, 11, 4],
      [1, 2, 9, 13, 4, 6],
      [2, 1, 1, 3, 2, 5],
    ]) {
      const x = tensor(randomArray(n * c * H * W, H * 31 + W, -2, 2), [n, c, H, W], { device });
      const diff = tidy(() => maxAbsDiff(values(data.resizeBilinearDifferentiable(x, h, w)), values(data.resize(x, h, w))));
      expect(diff, `[${n},${c},${H},${W}] -> ${h}x${w}`).toBeLessThan(1e-6);
      x.dispose();
    }
  });

  it('interpolation matrices: rows sum to 1; 1-D resize of a ramp is the align_corners=False map', () => {
    for (const [i, o] of [
      [28, 32],
      [32, 28],
      [5, 5],
      [1, 4],
      [4, 1],
    ]) {
      const r = data.bilinearMatrix(i, o);
      for (let k = 0; k < o; k++) expect(r.subarray(k * i, (k + 1) * i).reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
    }
    // A ramp v_j = j sampled at src = (o + 0.5) * in / out - 0.5, clamped to [0, in - 1].
    const r = data.bilinearMatrix(28, 32);
    for (let o = 0; o < 32; o++) {
      let v = 0;
      for (let j = 0; j < 28; j++) v += r[o * 28 + j] * j;
      expect(v).toBeCloseTo(Math.min(27, Math.max(0, ((o + 0.5) * 28) / 32 - 0.5)), 5);
    }
  });

  it('gradient matches central finite differences', () => {
    const n = 2,
      H = 6,
      W = 5;
    const wt = randomArray(n * 8 * 7, 5, -1, 1);
    gradcheck(
      ([x]) => {
        const y = data.resizeBilinearDifferentiable(ops.to(x, device), 8, 7);
        return ops.sum(ops.mul(y, tensor(wt, [n, 1, 8, 7], { device })));
      },
      [{ data: randomArray(n * H * W, 6, 0, 1), shape: [n, 1, H, W] }],
      { label: 'resizeBilinearDifferentiable' },
    );
  });

  it('the input gradient through the pixel pipeline (resize, replicate, normalise, a 3-channel CNN) matches finite differences', () => {
    // A small 3-channel network (ResNet18's own gradients are checked in resnet.test.ts): the pipeline is under test here.
    const g0 = new RandomGenerator(3);
    const net = new nn.Sequential(
      new nn.Conv2d(3, 4, 3, { stride: 2, generator: g0 }),
      new nn.ReLU(),
      new nn.Flatten(),
      new nn.Linear(4 * 15 * 15, 10, { generator: g0 }),
    );
    const model = resnetPixelModel(net, { mean: 0.13, std: 0.31 }).to(device).eval();
    const n = 2,
      xs = randomArray(n * 784, 8, 0, 1),
      y = tensor(randomInts(n, 9, 10), [n], { device });
    const g = values(tidy(() => attacks.inputGradient(model, tensor(xs, [n, 1, 28, 28], { device }), y)));
    const loss = (v: Float32Array) => noGrad(() => tidy(() => attacks.attackLoss(model, tensor(v, [n, 1, 28, 28], { device }), y).item()));
    // The pixels with the largest gradients (a random pixel's gradient can be below float32 noise).
    const idx = Array.from(g.keys())
      .sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]))
      .slice(0, 8);
    const h = 1e-2;
    for (const i of idx) {
      const p = xs.slice();
      p[i] += h;
      const m = xs.slice();
      m[i] -= h;
      const num = (loss(p) - loss(m)) / (2 * h);
      expect(Math.abs(g[i] - num), `pixel ${i}: analytic ${g[i]}, numeric ${num}`).toBeLessThan(0.05 * Math.abs(num) + 2e-3);
    }
    model.dispose();
    y.dispose();
  });

  it('rejects a non-4-D input with a ShapeError naming the shape', () => {
    const x = tensor(randomArray(28 * 28, 1, 0, 1), [28, 28], { device });
    expect(() => data.resizeBilinearDifferentiable(x, 32, 32)).toThrow(ShapeError);
    expect(() => data.resizeBilinearDifferentiable(x, 32, 32)).toThrow(/\[N, C, H, W\], got \[28, 28\]/);
    expect(() => data.bilinearMatrix(0, 3)).toThrow(/inSize must be a positive integer/);
    x.dispose();
  });
});

describe('the seed-000 pipeline in pixel space', () => {
  it('raw MNIST pixels through resnetPixelTransform + normalisation equal resnet-data.ts images within 1e-6', () => {
    const d = loadResnetData({ dataset: 'mnist', trainLimit: 500, testLimit: 64, splitSeed: 0, device: 'cpu' });
    const mnist = loadMnist({ trainLimit: 500, testLimit: 64, device: 'cpu' });
    const px = pixelSplit(mnist.test, 'cpu');
    try {
      const mine = tidy(() => values(data.normalize(resnetPixelTransform()(px.x), d.stats)));
      const theirs = tidy(() => values(toModelInput(d.test.x)));
      expect(mine.length).toBe(64 * 3 * 32 * 32);
      expect(maxAbsDiff(mine, theirs)).toBeLessThan(1e-6 / d.stats.std); // 1e-6 in pixel units
      expect(Array.from(d.test.labels)).toEqual(Array.from(px.labels));
    } finally {
      px.x.dispose();
      mnist.dispose();
      d.dispose();
    }
  });
});
