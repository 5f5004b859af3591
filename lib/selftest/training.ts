// The short real training run of `nnlab selftest`: a small CNN learns ten synthetic 28x28
// "digit" classes (no download, so it runs anywhere) for a few hundred Adam steps on the chosen
// device, and must reach a stated loss and held-out accuracy. A kernel that is right on small
// odd shapes but wrong at training sizes, or an allocator that leaks or corrupts across
// hundreds of steps, shows up here.
import { backward, noGrad } from '../core/autograd/engine.js';
import { tensor } from '../core/ops/creation.js';
import { argmax } from '../core/ops/reduce.js';
import { crossEntropy } from '../core/ops/softmax.js';
import { mulberry32 } from '../core/mulberry32.js';
import { RandomGenerator } from '../core/random.js';
import { tidy } from '../core/scope.js';
import type { Device } from '../core/tensor.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../nn/layers.js';
import { Adam } from '../optim/adam.js';

export interface TrainingOptions {
  device: Device;
  steps?: number;
  batchSize?: number;
  seed?: number;
}

export interface TrainingResult {
  device: Device;
  steps: number;
  batchSize: number;
  /** Mean loss over the first and the last 20 steps. */
  firstLoss: number;
  finalLoss: number;
  /** Accuracy on 500 held-out samples. */
  testAccuracy: number;
  /** The thresholds this run had to meet. */
  maxFinalLoss: number;
  minTestAccuracy: number;
  pass: boolean;
  seconds: number;
  /** The loss of every step (the device run is compared with the CPU's step by step). */
  losses: number[];
  /**
   * Off the CPU: the same model, data and seed trained on the CPU for the first steps; the
   * largest relative difference of the step losses must stay small (rounding differences grow
   * slowly; a wrong gradient or optimizer step on the device shows at once).
   */
  cpuAgreement?: { steps: number; maxRelDiff: number; limit: number; pass: boolean };
  error?: string;
}

export const TRAINING_TARGET = { maxFinalLoss: 0.35, minTestAccuracy: 0.9 };

const SIDE = 28;

/** Ten class templates, each three soft strokes at seeded places. */
function templates(seed: number): Float32Array[] {
  const r = mulberry32(seed);
  return Array.from({ length: 10 }, () => {
    const img = new Float32Array(SIDE * SIDE);
    for (let k = 0; k < 3; k++) {
      const x0 = 6 + r() * 16,
        y0 = 6 + r() * 16,
        x1 = 6 + r() * 16,
        y1 = 6 + r() * 16;
      for (let t = 0; t <= 1; t += 0.05) {
        const cx = x0 + (x1 - x0) * t,
          cy = y0 + (y1 - y0) * t;
        for (let y = 0; y < SIDE; y++)
          for (let x = 0; x < SIDE; x++) {
            const d2 = (x - cx) ** 2 + (y - cy) ** 2;
            img[y * SIDE + x] = Math.max(img[y * SIDE + x], Math.exp(-d2 / 2));
          }
      }
    }
    return img;
  });
}

/** n samples: a class template shifted by up to 2 pixels, dimmed, with uniform noise. */
export function syntheticDigits(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const t = templates(1234);
  const r = mulberry32(seed);
  const x = new Float32Array(n * SIDE * SIDE);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * 10);
    y[i] = c;
    const dx = Math.floor(r() * 5) - 2,
      dy = Math.floor(r() * 5) - 2,
      gain = 0.6 + 0.4 * r();
    for (let py = 0; py < SIDE; py++)
      for (let px = 0; px < SIDE; px++) {
        const sx = px - dx,
          sy = py - dy;
        const v = sx >= 0 && sx < SIDE && sy >= 0 && sy < SIDE ? t[c][sy * SIDE + sx] : 0;
        x[(i * SIDE + py) * SIDE + px] = Math.min(1, gain * v + 0.3 * r());
      }
  }
  return { x, y };
}

export function runTraining(o: TrainingOptions): TrainingResult {
  const steps = o.steps ?? 300;
  const batchSize = o.batchSize ?? 32;
  const seed = o.seed ?? 7;
  const t0 = performance.now();
  const base = { device: o.device, steps, batchSize, ...TRAINING_TARGET };
  try {
    const g = new RandomGenerator(seed);
    // 28 -> conv 5x5 stride 2 -> 12 -> pool -> 6: 8*6*6 features.
    const model = new Sequential(
      new Conv2d(1, 8, 5, { stride: 2, generator: g }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(8 * 6 * 6, 10, { generator: g }),
    ).to(o.device);
    const opt = new Adam(model.parameters(), { lr: 3e-3 });
    const train = syntheticDigits(2048, seed + 1);
    const losses: number[] = [];
    const px = SIDE * SIDE;
    for (let step = 0; step < steps; step++) {
      const first = (step * batchSize) % (2048 - batchSize + 1);
      tidy(() => {
        const xb = tensor(train.x.subarray(first * px, (first + batchSize) * px), [batchSize, 1, SIDE, SIDE], { device: o.device });
        const yb = tensor(train.y.subarray(first, first + batchSize), [batchSize], { device: o.device });
        const loss = crossEntropy(model.forward(xb), yb);
        backward(loss);
        opt.step();
        opt.zeroGrad();
        losses.push(loss.item());
      });
    }
    const test = syntheticDigits(500, seed + 2);
    model.eval();
    const correct = noGrad(() =>
      tidy(() => {
        const pred = argmax(model.forward(tensor(test.x, [500, 1, SIDE, SIDE], { device: o.device })), 1).data();
        let c = 0;
        for (let i = 0; i < 500; i++) if (pred[i] === test.y[i]) c++;
        return c;
      }),
    );
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const window = Math.min(20, losses.length);
    const firstLoss = mean(losses.slice(0, window)),
      finalLoss = mean(losses.slice(-window));
    const testAccuracy = correct / 500;
    const pass = Number.isFinite(finalLoss) && finalLoss <= TRAINING_TARGET.maxFinalLoss && testAccuracy >= TRAINING_TARGET.minTestAccuracy;
    return { ...base, firstLoss, finalLoss, testAccuracy, pass, seconds: (performance.now() - t0) / 1000, losses };
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return {
      ...base,
      firstLoss: NaN,
      finalLoss: NaN,
      testAccuracy: 0,
      pass: false,
      seconds: (performance.now() - t0) / 1000,
      losses: [],
      error,
    };
  }
}

/** Steps compared with the CPU, and the largest relative loss difference allowed over them. */
export const CPU_AGREEMENT = { steps: 20, limit: 2e-3 };

/** Trains the first steps on the CPU and compares the step losses with the device run's. */
export function compareWithCpu(r: TrainingResult): TrainingResult {
  const steps = Math.min(CPU_AGREEMENT.steps, r.losses.length);
  if (r.device === 'cpu' || steps === 0) return r;
  const cpu = runTraining({ device: 'cpu', steps, batchSize: r.batchSize });
  let maxRelDiff = cpu.losses.length === steps ? 0 : Infinity;
  for (let i = 0; i < Math.min(steps, cpu.losses.length); i++) {
    const d = Math.abs(r.losses[i] - cpu.losses[i]) / Math.max(Math.abs(cpu.losses[i]), 1e-6);
    maxRelDiff = Number.isNaN(d) ? Infinity : Math.max(maxRelDiff, d);
  }
  const agreement = { steps, maxRelDiff, limit: CPU_AGREEMENT.limit, pass: maxRelDiff <= CPU_AGREEMENT.limit };
  return { ...r, cpuAgreement: agreement, pass: r.pass && agreement.pass };
}
