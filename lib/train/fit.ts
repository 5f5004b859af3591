// The training loop: epochs of forward/backward/step over a DataLoader, evaluation, metrics.csv,
// the best-validation weights, and a full checkpoint after every epoch for --resume.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { backward, noGrad } from '../core/autograd/engine.js';
import { native } from '../core/native.js';
import type { DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../core/ops/softmax.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { WeightAverage } from '../optim/weight-average.js';
import { defaultGenerator, Generator } from '../core/random.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { loadTrainingState, saveTrainingState, saveWeights } from './checkpoint.js';
import { EpochMetrics, MetricsTracker } from './metrics-tracker.js';
import { Progress } from './progress.js';

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface EvalResult {
  loss: number;
  acc: number;
  n: number;
}

/** Number of rows where argmax(output) equals the int32 label. */
export function countCorrect(output: Tensor, labels: Tensor): number {
  const pred = native.argmax(output.handle, 1, false);
  const pf = native.cast(pred, 'float32'), lf = native.cast(labels.handle, 'float32');
  const eq = native.binary(pf, lf, 'eq');
  const s = native.reduce(eq, 'sum', [], false);
  const n = (native.toTypedArray(s) as Float32Array)[0];
  [pred, pf, lf, eq, s].forEach((t) => t.dispose());
  return n;
}

/** Mean loss and accuracy over a loader, in evaluation mode and without a graph. */
export function evaluate(model: Module, loader: DataLoader, lossFn: LossFn = crossEntropy): EvalResult {
  const wasTraining = model.training;
  model.eval();
  let loss = 0, correct = 0, n = 0;
  noGrad(() => {
    for (const { x, y } of loader.batches(0)) {
      tidy(() => {
        const out = model.forward(x);
        loss += lossFn(out, y).item() * x.shape[0];
        correct += countCorrect(out, y);
        n += x.shape[0];
      });
      x.dispose();
      y.dispose();
    }
  });
  model.train(wasTraining);
  return { loss: loss / Math.max(n, 1), acc: correct / Math.max(n, 1), n };
}

export interface FitOptions {
  epochs: number;
  optimizer: Optimizer;
  lossFn?: LossFn;
  val?: DataLoader | null;
  /** Run folder: metrics.csv, best.safetensors, checkpoint.safetensors. */
  outDir?: string | null;
  /** Continue from outDir/checkpoint.safetensors when it exists. */
  resume?: boolean;
  /** Stream for stochastic layers (dropout); saved in checkpoints. */
  generator?: Generator;
  scheduler?: { step(): void };
  /**
   * An average of the weights, updated after every step. Validation, best.safetensors and the
   * checkpoint's model use the trained weights for training and the averaged ones for everything
   * reported; the checkpoint saves both, so a resumed run continues the same average.
   */
  average?: WeightAverage;
  progress?: boolean;
  log?: (line: string) => void;
  /** Called after each epoch (e.g. tests that interrupt a run). */
  onEpoch?: (m: EpochMetrics) => void;
  onBatch?: (epoch: number, batch: number) => void;
  config?: unknown;
}

export interface FitResult {
  history: EpochMetrics[];
  bestEpoch: number;
  /** Training images per second over the epochs run in this call. */
  imagesPerSecond: number;
  secondsPerEpoch: number;
}

export async function fit(model: Module, train: DataLoader, o: FitOptions): Promise<FitResult> {
  const lossFn = o.lossFn ?? crossEntropy;
  const gen = o.generator ?? defaultGenerator;
  const tracker = new MetricsTracker(o.outDir ?? null);
  const progress = new Progress(process.stderr, o.progress ?? true);
  const log = o.log ?? ((s: string) => progress.line(s));
  const ckpt = o.outDir ? join(o.outDir, 'checkpoint.safetensors') : null;
  let start = 0;
  let step = 0;
  if (o.resume && ckpt && existsSync(ckpt)) {
    const c = loadTrainingState(ckpt, model, o.optimizer, o.average);
    gen.setState(c.rng);
    tracker.restore(c.tracker as Parameters<MetricsTracker['restore']>[0]);
    start = c.epoch + 1;
    step = c.step;
    for (let e = 0; e < start; e++) o.scheduler?.step();
    log(`resumed from ${ckpt} after epoch ${c.epoch + 1}`);
  }
  let images = 0, seconds = 0;
  model.train();
  for (let epoch = start; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    let lossSum = 0, correct = 0, n = 0;
    for (const { x, y, index } of train.batches(epoch)) {
      tidy(() => {
        const out = model.forward(x);
        const loss = lossFn(out, y);
        backward(loss);
        o.optimizer.step();
        o.average?.update();
        lossSum += loss.item() * x.shape[0];
        correct += countCorrect(out, y);
      });
      o.optimizer.zeroGrad();
      n += x.shape[0];
      x.dispose();
      y.dispose();
      step++;
      progress.update(`epoch ${epoch + 1}/${o.epochs}`, index + 1, train.length, `loss ${(lossSum / n).toFixed(4)}`);
      o.onBatch?.(epoch, index);
      // Let the event loop run (signals, GC finalisers, progress output) without slowing the loop.
      if (index % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    images += n;
    seconds += trainSeconds;
    const reported = <T>(fn: () => T): T => (o.average ? o.average.withAveraged(fn) : fn());
    const v = o.val ? reported(() => evaluate(model, o.val!, lossFn)) : null;
    const m: EpochMetrics = {
      epoch: epoch + 1,
      train_loss: lossSum / n,
      train_acc: correct / n,
      val_loss: v ? v.loss : null,
      val_acc: v ? v.acc : null,
      seconds: (performance.now() - t0) / 1000,
    };
    const best = tracker.add(m);
    o.scheduler?.step();
    if (o.outDir) {
      if (best) reported(() => saveWeights(join(o.outDir!, 'best.safetensors'), model, { epoch: String(epoch + 1), ...(o.average && { weights: 'averaged' }) }));
      saveTrainingState(ckpt!, model, o.optimizer, { epoch, step, lr: o.optimizer.lr, rng: gen.getState(), tracker: tracker.toJSON(), config: o.config }, o.average);
    }
    log(`epoch ${epoch + 1}/${o.epochs}: train loss ${m.train_loss.toFixed(4)} acc ${(100 * m.train_acc).toFixed(2)}%` +
      (v ? `, val loss ${v.loss.toFixed(4)} acc ${(100 * v.acc).toFixed(2)}%` : '') +
      `, ${trainSeconds.toFixed(1)} s (${Math.round(n / trainSeconds)} img/s)`);
    o.onEpoch?.(m);
  }
  return {
    history: tracker.rows,
    bestEpoch: tracker.bestEpoch,
    imagesPerSecond: seconds > 0 ? images / seconds : 0,
    secondsPerEpoch: seconds / Math.max(o.epochs - start, 1),
  };
}
