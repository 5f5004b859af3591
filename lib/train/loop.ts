// THE training loop. Everything a run needs around the arithmetic lives here once: epochs and
// batches, the optimizer step, the weight average, progress, metrics.csv, the best weights, a
// full checkpoint after every epoch and resuming from it, learning-rate schedules, yielding to
// the event loop. What a step computes is a TrainingTask: `fit` plugs in one model over a
// DataLoader; batched ensembles (lib/ensemble) plug in M stacked members. A run resumed after a
// kill continues bit-identically, whichever task it trains.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { ArgumentError } from '../core/errors.js';
import { defaultGenerator, RandomGenerator } from '../core/random.js';
import { tidy } from '../core/scope.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { WeightAverage } from '../optim/weight-average.js';
import { loadTrainingState, saveTrainingState, saveWeights } from './checkpoint.js';
import { MetricsTracker, MetricRow } from './metrics-tracker.js';
import { Progress } from './progress.js';

/** What one epoch leaves: its metrics.csv rows, the score that picks the best epoch (lower is better) and a log line. */
export interface EpochRecord {
  rows: MetricRow[];
  score: number;
  summary: string;
}

/** Runs `fn` with the weights that are reported (the average when the run keeps one). */
export type Reported = <T>(fn: () => T) => T;

export interface TrainingTask {
  /** The trained weights: what checkpoints save and a resume restores. */
  readonly model: Module;
  readonly optimizer: Optimizer;
  /** metrics.csv's columns, in order. */
  readonly columns: readonly string[];
  /** What one counted example is, for the speed in the log ('img' by default). */
  readonly unit?: string;
  batchCount(epoch: number): number;
  beginEpoch(epoch: number): void;
  /**
   * Forward and backward of batch `b` of the epoch: gradients accumulate on the parameters and
   * the task keeps its running training metrics; the loop then steps the optimizer. Runs inside a
   * scope, so intermediates are freed when it returns. Returns the examples the batch held.
   */
  step(epoch: number, b: number): number;
  /** The running figures for the progress bar. */
  progressText(): string;
  /** The epoch's record: training metrics so far plus validation (run through `reported`). */
  endEpoch(epoch: number, seconds: number, reported: Reported): EpochRecord;
}

export interface LoopOptions {
  epochs: number;
  /** Run folder: metrics.csv, best.safetensors (when saveBest), checkpoint.safetensors. */
  outDir?: string | null;
  /** Continue from outDir/checkpoint.safetensors when it exists. */
  resume?: boolean;
  /** Stream of stochastic layers (dropout); saved in checkpoints. */
  generator?: RandomGenerator;
  scheduler?: { step(): void };
  /** An average of the weights, updated after every step; reported figures and best weights use it. */
  average?: WeightAverage;
  /** Keep the best epoch's weights (by the task's score) in best.safetensors. Default true. */
  saveBest?: boolean;
  progress?: boolean;
  log?: (line: string) => void;
  onEpoch?: (record: EpochRecord) => void;
  onBatch?: (epoch: number, batch: number) => void;
  /** Stored in the checkpoint (e.g. the command's configuration). */
  config?: unknown;
}

export interface LoopResult {
  rows: MetricRow[];
  bestEpoch: number;
  /** Examples per second over the epochs run in this call. */
  imagesPerSecond: number;
  secondsPerEpoch: number;
  /** The first epoch this call ran (0, or where a resume picked up). */
  startEpoch: number;
}

export async function runTraining(task: TrainingTask, o: LoopOptions): Promise<LoopResult> {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0))
    throw new ArgumentError(`training: epochs must be a non-negative integer, got ${o.epochs}`);
  const gen = o.generator ?? defaultGenerator;
  const tracker = new MetricsTracker<MetricRow>(o.outDir ?? null, task.columns);
  const progress = new Progress(process.stderr, o.progress ?? true);
  const log = o.log ?? ((s: string) => progress.line(s));
  const ckpt = o.outDir ? join(o.outDir, 'checkpoint.safetensors') : null;
  let start = 0;
  let step = 0;
  if (o.resume && ckpt && existsSync(ckpt)) {
    const c = loadTrainingState(ckpt, task.model, task.optimizer, o.average);
    gen.setState(c.rng);
    tracker.restore(c.tracker as Parameters<MetricsTracker<MetricRow>['restore']>[0]);
    start = c.epoch + 1;
    step = c.step;
    for (let e = 0; e < start; e++) o.scheduler?.step();
    log(`resumed from ${ckpt} after epoch ${c.epoch + 1}`);
  }
  const reported: Reported = (fn) => (o.average ? o.average.withAveraged(fn) : fn());
  let images = 0,
    seconds = 0;
  task.model.train();
  for (let epoch = start; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    const batches = task.batchCount(epoch);
    task.beginEpoch(epoch);
    let n = 0;
    for (let b = 0; b < batches; b++) {
      tidy(() => {
        n += task.step(epoch, b);
        task.optimizer.step();
        o.average?.update();
      });
      task.optimizer.zeroGrad();
      step++;
      progress.update(`epoch ${epoch + 1}/${o.epochs}`, b + 1, batches, task.progressText());
      o.onBatch?.(epoch, b);
      // Let the event loop run (signals, GC finalisers, progress output) without slowing the loop.
      if (b % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    images += n;
    seconds += trainSeconds;
    const record = task.endEpoch(epoch, trainSeconds, reported);
    const best = tracker.add(record.rows, record.score, epoch + 1);
    o.scheduler?.step();
    if (o.outDir) {
      if (best && (o.saveBest ?? true))
        reported(() =>
          saveWeights(join(o.outDir!, 'best.safetensors'), task.model, {
            epoch: String(epoch + 1),
            ...(o.average && { weights: 'averaged' }),
          }),
        );
      saveTrainingState(
        ckpt!,
        task.model,
        task.optimizer,
        { epoch, step, lr: task.optimizer.lr, rng: gen.getState(), tracker: tracker.toJSON(), config: o.config },
        o.average,
      );
    }
    log(`${record.summary}, ${trainSeconds.toFixed(1)} s (${Math.round(n / trainSeconds)} ${task.unit ?? 'img'}/s)`);
    o.onEpoch?.(record);
  }
  return {
    rows: tracker.rows,
    bestEpoch: tracker.bestEpoch,
    imagesPerSecond: seconds > 0 ? images / seconds : 0,
    secondsPerEpoch: seconds / Math.max(o.epochs - start, 1),
    startEpoch: start,
  };
}
