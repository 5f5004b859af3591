// fit: one model trained over a DataLoader by the shared loop (lib/train/loop.ts: metrics.csv, the
// best-validation weights, a checkpoint after every epoch for --resume), and evaluate().
import { backward, noGrad } from '../core/autograd/engine.js';
import { eq } from '../core/ops/elementwise.js';
import { cast } from '../core/ops/convert.js';
import { argmax, sum } from '../core/ops/reduce.js';
import type { Batch, DataLoader } from '../data/loader.js';
import { ArgumentError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../core/ops/softmax.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { WeightAverage } from '../optim/weight-average.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { EpochMetrics, METRIC_COLUMNS } from './metrics-tracker.js';
import { EpochRecord, Reported, runTraining, TrainingTask } from './loop.js';
import type { LoopOptions } from './loop.js';

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface EvalResult {
  loss: number;
  acc: number;
  n: number;
}

/** Number of rows where argmax(output) equals the int32 label. */
export function countCorrect(output: Tensor, labels: Tensor): number {
  return noGrad(() => {
    const pred = argmax(output, 1);
    // Every training step counts: compare on the host (three native calls) rather than through
    // cast, cast, eq and sum (six calls and four temporaries). The prediction is a small integer
    // (exact in float32) and the label is rounded to float32 first: the same test as that eq.
    if (pred.shape.length === labels.shape.length && pred.shape.every((d, i) => d === labels.shape[i])) {
      const p = pred.data(),
        l = labels.data();
      pred.dispose();
      let n = 0;
      for (let i = 0; i < p.length; i++) if (p[i] === Math.fround(l[i])) n++;
      return n;
    }
    const pf = cast(pred, 'float32'),
      lf = cast(labels, 'float32');
    const same = eq(pf, lf);
    const s = sum(same);
    const n = s.item();
    for (const t of new Set([pred, pf, lf, same, s])) if (t !== labels) t.dispose();
    return n;
  });
}

/** Mean loss and accuracy over a loader, in evaluation mode and without a graph. */
export function evaluate(model: Module, loader: DataLoader, lossFn: LossFn = crossEntropy): EvalResult {
  const wasTraining = model.training;
  model.eval();
  let loss = 0,
    correct = 0,
    n = 0;
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

/** The training loop's options (lib/train/loop.ts), with fit's model, loss and validation loader. */
export interface FitOptions extends Omit<LoopOptions, 'average' | 'saveBest' | 'onEpoch'> {
  optimizer: Optimizer;
  lossFn?: LossFn;
  val?: DataLoader | null;
  /**
   * An average of the weights, updated after every step. Validation, best.safetensors and the
   * checkpoint's model use the trained weights for training and the averaged ones for everything
   * reported; the checkpoint saves both, so a resumed run continues the same average.
   */
  average?: WeightAverage;
  /** Called after each epoch (e.g. tests that interrupt a run). */
  onEpoch?: (m: EpochMetrics) => void;
}

export interface FitResult {
  history: EpochMetrics[];
  bestEpoch: number;
  /** Training images per second over the epochs run in this call. */
  imagesPerSecond: number;
  secondsPerEpoch: number;
}

/** One model over a DataLoader: the task `fit` plugs into the training loop. */
class ModelTask implements TrainingTask {
  readonly columns = METRIC_COLUMNS;
  private batches: Iterator<Batch> | null = null;
  private lossSum = 0;
  private correct = 0;
  private n = 0;
  private t0 = 0;

  constructor(
    readonly model: Module,
    readonly optimizer: Optimizer,
    private readonly train: DataLoader,
    private readonly lossFn: LossFn,
    private readonly val: DataLoader | null,
    private readonly epochs: number,
  ) {}

  batchCount(): number {
    return this.train.length;
  }

  beginEpoch(epoch: number): void {
    this.t0 = performance.now();
    this.batches = this.train.batches(epoch)[Symbol.iterator]();
    this.lossSum = this.correct = this.n = 0;
  }

  step(): number {
    const next = this.batches!.next();
    if (next.done) throw new ArgumentError(`fit: the loader ran out of batches before its length (${this.train.length})`);
    const { x, y } = next.value;
    const out = this.model.forward(x);
    const loss = this.lossFn(out, y);
    backward(loss);
    this.lossSum += loss.item() * x.shape[0];
    this.correct += countCorrect(out, y);
    const rows = x.shape[0];
    this.n += rows;
    x.dispose();
    y.dispose();
    return rows;
  }

  progressText(): string {
    return `loss ${(this.lossSum / this.n).toFixed(4)}`;
  }

  endEpoch(epoch: number, _seconds: number, reported: Reported): EpochRecord {
    const v = this.val ? reported(() => evaluate(this.model, this.val!, this.lossFn)) : null;
    const m: EpochMetrics = {
      epoch: epoch + 1,
      train_loss: this.lossSum / this.n,
      train_acc: this.correct / this.n,
      val_loss: v ? v.loss : null,
      val_acc: v ? v.acc : null,
      seconds: (performance.now() - this.t0) / 1000,
    };
    const summary =
      `epoch ${epoch + 1}/${this.epochs}: train loss ${m.train_loss.toFixed(4)} acc ${(100 * m.train_acc).toFixed(2)}%` +
      (v ? `, val loss ${v.loss.toFixed(4)} acc ${(100 * v.acc).toFixed(2)}%` : '');
    return { rows: [m], score: m.val_loss ?? m.train_loss, summary };
  }
}

/** Trains one model (see lib/train/loop.ts for what the loop does around each step). */
export async function fit(model: Module, train: DataLoader, o: FitOptions): Promise<FitResult> {
  const task = new ModelTask(model, o.optimizer, train, o.lossFn ?? crossEntropy, o.val ?? null, o.epochs);
  const r = await runTraining(task, {
    epochs: o.epochs,
    outDir: o.outDir,
    resume: o.resume,
    generator: o.generator,
    scheduler: o.scheduler,
    average: o.average,
    progress: o.progress,
    log: o.log,
    onBatch: o.onBatch,
    config: o.config,
    onEpoch: o.onEpoch && ((rec) => o.onEpoch!(rec.rows[0] as unknown as EpochMetrics)),
  });
  return {
    history: r.rows as unknown as EpochMetrics[],
    bestEpoch: r.bestEpoch,
    imagesPerSecond: r.imagesPerSecond,
    secondsPerEpoch: r.secondsPerEpoch,
  };
}
