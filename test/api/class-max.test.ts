// Class maximisation and its k-NN twin through the public API: the loss gradients against finite
// differences, the naive/log gradient identity, per-image stopping and clipping, the naive loss's
// stall on a confident start, the GEMM k-NN memory against the exhaustive search (ties included),
// knnMax's bookkeeping on real MNIST, and typed errors.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, explain, RandomGenerator, nn, noGrad, ops, ShapeError, tensor, tidy } from '../../lib/index.js';
import { bruteForceNeighbours } from '../../lib/models/knn.js';
import { loadMnist } from '../../lib/data/mnist.js';
import { expectClose, numericGrad, randomArray, sampleIndices } from '../support/native.js';

/** A small nonlinear classifier on 4x4 images: Flatten, Linear(16, 8), Tanh, Linear(8, 4). */
function smallNet(seed: number, scale = 1): nn.Module {
  const net = new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(16, 8, { generator: new RandomGenerator(seed) }),
    new nn.Tanh(),
    new nn.Linear(8, 4, { generator: new RandomGenerator(seed + 1) }),
  );
  if (scale !== 1) noGrad(() => net.parameters().forEach((p) => ops.copyInto(p, ops.mul(p, scale))));
  return net;
}

/** Multinomial logistic regression on 4x4 images with weights scaled: the log loss is concave in x. */
function linearNet(seed: number, scale: number): nn.Module {
  const net = new nn.Sequential(new nn.Flatten(), new nn.Linear(16, 4, { generator: new RandomGenerator(seed) }));
  noGrad(() => net.parameters().forEach((p) => ops.copyInto(p, ops.mul(p, scale))));
  return net;
}

/** The class-max loss of a batch, evaluated without the graph, in float64 from the model's probabilities. */
function lossOf(model: nn.Module, px: Float32Array, shape: number[], targets: number[], loss: explain.ClassMaxLoss): number {
  return tidy(() =>
    noGrad(() => {
      const p = ops.softmax(model.forward(tensor(px, shape)), 1).data() as Float32Array;
      const k = p.length / shape[0];
      return targets.reduce((a, t, i) => a + (loss === 'naive' ? -p[i * k + t] : -Math.log(p[i * k + t] + explain.LOG_LOSS_EPS)), 0);
    }),
  );
}

describe('targetGradient', () => {
  const shape = [3, 1, 4, 4],
    targets = [0, 2, 3];
  const px = Float32Array.from(randomArray(48, 11), (v) => (v + 1) / 2);

  for (const loss of ['naive', 'log'] as const)
    it(`${loss} loss: matches finite differences per image`, () => {
      const model = smallNet(3, 2);
      const g = explain.targetGradient(model, tensor(px, shape), targets, loss);
      const idx = sampleIndices(48, 24, 5);
      const num = numericGrad((x) => lossOf(model, x, shape, targets, loss), Float32Array.from(px), 1e-2, idx);
      expectClose(
        idx.map((i) => g.grad[i]),
        idx.map((i) => num[i]),
        3e-2,
        2e-4,
        `${loss} gradient`,
      );
      for (let i = 0; i < 3; i++) {
        const row = g.grad.subarray(i * 16, (i + 1) * 16);
        expect(g.gradNorm[i]).toBeCloseTo(Math.hypot(...row), 6);
      }
    });

  it('the naive gradient is (p + 1e-10) times the log gradient: it vanishes with p', () => {
    const model = smallNet(7, 6);
    const naive = explain.targetGradient(model, tensor(px, shape), targets, 'naive');
    const log = explain.targetGradient(model, tensor(px, shape), targets, 'log');
    for (let i = 0; i < 3; i++) {
      expectClose(
        naive.grad.subarray(i * 16, (i + 1) * 16),
        Array.from(log.grad.subarray(i * 16, (i + 1) * 16), (v) => v * (naive.p[i] + 1e-10)),
        1e-3,
        1e-12,
        `image ${i}`,
      );
      expect(naive.gradNorm[i] / log.gradNorm[i]).toBeCloseTo(naive.p[i], 4);
    }
  });
});

describe('classMax', () => {
  it('log loss: every image reaches its target, steps and stops are per image, pixels stay in [0, 1]', () => {
    const model = linearNet(5, 10);
    const x = tensor(
      Float32Array.from(randomArray(8 * 16, 2), (v) => (v + 1) / 2),
      [8, 1, 4, 4],
    );
    const targets = [0, 1, 2, 3, 0, 1, 2, 3];
    const r = explain.classMax(model, x, { targets, lr: 0.2, maxSteps: 400, targetProb: 0.95 });
    expect([...r.stopReason]).toEqual(new Array(8).fill('prob'));
    for (let i = 0; i < 8; i++) {
      expect(r.pFinal[i]).toBeGreaterThanOrEqual(0.95);
      expect(r.pHistory[i].length).toBe(r.steps[i] + 1);
      expect(r.gradNormHistory[i].length).toBe(r.steps[i] + 1);
      expect(r.pHistory[i][0]).toBe(r.pInitial[i]);
    }
    const out = r.images.data() as Float32Array;
    expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
    expect(r.images.shape).toEqual([8, 1, 4, 4]);
    // The same image alone follows the same path: images do not interact.
    const alone = explain.classMax(model, tensor((x.data() as Float32Array).slice(3 * 16, 4 * 16), [1, 1, 4, 4]), {
      targets: [3],
      lr: 0.2,
      maxSteps: 400,
      targetProb: 0.95,
    });
    expect(alone.steps[0]).toBe(r.steps[3]);
    expectClose(alone.images.data() as Float32Array, out.subarray(3 * 16, 4 * 16), 1e-4, 1e-5, 'alone vs batch');
  });

  it('naive loss stalls on a confidently classified start while the log loss escapes it', () => {
    const model = linearNet(5, 40);
    // The (image, class) pair of 16 random images with the smallest probability: a confident start elsewhere.
    const x = tensor(
      Float32Array.from(randomArray(16 * 16, 9), (v) => (v + 1) / 2),
      [16, 1, 4, 4],
    );
    const probs = tidy(() => noGrad(() => ops.softmax(model.forward(x), 1).data() as Float32Array));
    const worst = probs.indexOf(Math.min(...probs));
    const i = Math.floor(worst / 4),
      target = worst % 4;
    expect(probs[worst]).toBeLessThan(1e-6);
    const start = tensor((x.data() as Float32Array).slice(i * 16, (i + 1) * 16), [1, 1, 4, 4]);
    const naive = explain.classMax(model, start, {
      targets: [target],
      loss: 'naive',
      lr: 0.1,
      maxSteps: 200,
      targetProb: 0.9,
    });
    const log = explain.classMax(model, start, {
      targets: [target],
      loss: 'log',
      lr: 0.1,
      maxSteps: 200,
      targetProb: 0.9,
    });
    // The report's stopping rule |grad| < eps ends the naive ascent at once: its gradient is p times the log loss's.
    expect(naive.stopReason[0]).toBe('grad');
    expect(naive.steps[0]).toBe(0);
    expect(naive.gradNormHistory[0][0]).toBeLessThan(1e-12);
    expect(log.stopReason[0]).toBe('prob');
    expect(log.pFinal[0]).toBeGreaterThanOrEqual(0.9);
    // Without that rule it runs all its steps and the image does not move.
    const forced = explain.classMax(model, start, {
      targets: [target],
      loss: 'naive',
      lr: 0.1,
      maxSteps: 200,
      gradTol: 0,
    });
    expect(forced.stopReason[0]).toBe('steps');
    expect(forced.pFinal[0]).toBeLessThan(1e-6);
    const moved = Math.hypot(...Array.from(forced.images.data() as Float32Array, (v, j) => v - (start.data() as Float32Array)[j]));
    expect(moved).toBeLessThan(1e-6);
  });

  it('bad input gets typed errors', () => {
    const model = smallNet(1);
    const x = ops.rand([2, 1, 4, 4]);
    expect(() => explain.classMax(model, x, { targets: [0] })).toThrow(ShapeError);
    expect(() => explain.classMax(model, x, { targets: [0, 4] })).toThrow(/target 1 is 4; expected a class index in \[0, 4\)/);
    expect(() => explain.classMax(model, x, { targets: [0, 1], lr: 0 })).toThrow(ArgumentError);
    expect(() => explain.classMax(model, x, { targets: [0, 1], maxSteps: 1.5 })).toThrow(ArgumentError);
    expect(() => explain.classMax(model, x, { targets: [0, 1], loss: 'square' as explain.ClassMaxLoss })).toThrow(/'naive' or 'log'/);
    expect(() => explain.classMax(model, tensor(new Int32Array(32), [2, 1, 4, 4]), { targets: [0, 1] })).toThrow(DTypeError);
    expect(() => noGrad(() => explain.targetGradient(model, x, [0, 1], 'log'))).toThrow(/inside noGrad/);
  });
});

describe('KnnMemory and knnMax', () => {
  it('GEMM search equals the exhaustive exact search, class filters and ties included', () => {
    const dim = 784,
      n = 400,
      m = 12;
    const r = randomArray(n * dim, 21);
    const pixels = Uint8Array.from(r, (v) => (v > 0.3 ? 255 : Math.round(128 * (v + 1))));
    // Duplicate rows make exact ties that only the index rule can order.
    for (let i = 0; i < 40; i++) pixels.copyWithin((200 + i) * dim, i * dim, (i + 1) * dim);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
    const queries = pixels.slice(0, m * dim);
    const memory = new explain.KnnMemory({ pixels, labels, n });
    try {
      const classes = Array.from({ length: m }, (_, q) => (q * 3) % 10);
      const [any, ofClass] = memory.search(queries, 5, [new Array(m).fill(-1), classes]);
      for (let q = 0; q < m; q++) {
        const ref = bruteForceNeighbours({ pixels, labels, n }, queries, q * dim, dim, 5);
        expect(any[q].index).toEqual(ref.idx);
        expect(any[q].distance).toEqual(ref.dist);
        const rows = [...labels.keys()].filter((i) => labels[i] === classes[q]);
        const sub = {
          pixels: Uint8Array.from(rows.flatMap((i) => [...pixels.subarray(i * dim, (i + 1) * dim)])),
          labels: Int32Array.from(rows, (i) => labels[i]),
          n: rows.length,
        };
        const refC = bruteForceNeighbours(sub, queries, q * dim, dim, 5);
        expect(ofClass[q].index).toEqual(refC.idx.map((j) => rows[j]));
      }
      expect(() => memory.search(queries, 0, [new Array(m).fill(-1)])).toThrow(ArgumentError);
      expect(() => memory.search(queries.subarray(0, 100), 3, [[-1]])).toThrow(ShapeError);
    } finally {
      memory.dispose();
    }
  });

  it('knnMax drives real MNIST digits to p >= 0.6 and reports what the k-NN saw', { timeout: 60_000 }, () => {
    const mnist = loadMnist({ device: 'cpu', trainLimit: 3000, testLimit: 10 });
    const memory = new explain.KnnMemory({ pixels: mnist.train.pixels, labels: mnist.train.labels, n: mnist.train.n });
    try {
      const x = tensor(
        Float32Array.from(mnist.test.pixels, (v) => v / 255),
        [10, 1, 28, 28],
      );
      const targets = Array.from(mnist.test.labels, (l) => (l + 1) % 10);
      const run = () => explain.knnMax(memory, x, { targets, k: 5, maxSteps: 100, generator: new RandomGenerator(4) });
      const r = run();
      for (let i = 0; i < 10; i++) {
        expect(r.stepsToTarget[i], `image ${i}`).toBeGreaterThan(0);
        expect(r.pHistory[i][r.stepsToTarget[i]]).toBeGreaterThanOrEqual(0.6);
        expect(r.pHistory[i].slice(0, -1).every((p) => p < 0.6)).toBe(true);
        expect(r.pInitial[i]).toBeLessThan(0.6);
      }
      // The returned images are the 8-bit images the k-NN judged last.
      const out = r.images.data() as Float32Array;
      expect(out.every((v) => Math.abs(v * 255 - Math.round(v * 255)) < 1e-3 && v >= 0 && v <= 1)).toBe(true);
      expectClose(explain.knnTargetShare(memory, r.images, targets, 5), r.pFinal, 0, 0, 'share of the final images');
      // Same generator seed, same run.
      expect([...run().stepsToTarget]).toEqual([...r.stepsToTarget]);
      expect(() => explain.knnMax(memory, x, { targets, k: 5, maskProb: 0 })).toThrow(ArgumentError);
      expect(() => explain.knnMax(memory, ops.rand([2, 1, 4, 4]), { targets: [0, 1], k: 3 })).toThrow(/784 pixels/);
      expect(() => explain.knnMax(memory, x, { targets: targets.map(() => 11), k: 3 })).toThrow(/no image in the k-NN's memory/);
    } finally {
      memory.dispose();
      mnist.dispose();
    }
  });
});

describe('examples/class-max.ts', () => {
  it('type-checks, compiles inside the package and runs: every class reached by the CNN, 0.6 by the k-NN', { timeout: 300_000 }, () => {
    const tsc = spawnSync(
      process.execPath,
      [
        'node_modules/typescript/bin/tsc',
        'examples/class-max.ts',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--strict',
        '--skipLibCheck',
        '--rootDir',
        'examples',
        '--outDir',
        'build-examples',
      ],
      { encoding: 'utf8' },
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const out = mkdtempSync(join(tmpdir(), 'nnlab-example-class-max-'));
    const r = spawnSync(process.execPath, ['build-examples/class-max.js', out, '5000'], {
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.includes('CNN p='));
    expect(lines.length).toBe(10);
    for (const l of lines) {
      const [, cnnP, knnP] = /CNN p=([\d.]+).*k-NN share ([\d.]+)/.exec(l)!;
      expect(Number(cnnP), l).toBeGreaterThanOrEqual(0.99);
      expect(Number(knnP), l).toBeGreaterThanOrEqual(0.6);
    }
    for (const f of ['class_max_cnn.png', 'class_max_knn.svg']) expect(existsSync(join(out, f)), f).toBe(true);
  });
});
