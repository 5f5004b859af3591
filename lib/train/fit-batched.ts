// Batched ensemble training: M members of one architecture trained in ONE pass per step, each
// with its own initialisation (built by the caller), its own shuffle order (its seed, exactly
// the order DataLoader({shuffle: true, seed}) gives a separate run) and its own optimizer state
// (one optimizer over every member's parameters: Adam, AdamW and SGD update each element from
// its own gradient and buffers only). The loss is the sum over members of each member's mean
// cross-entropy, so each member's gradient is its separate-run gradient, and the members come
// out as M separate `fit` runs would give them, up to floating-point summation order.
// The step is a TrainingTask of the shared loop (loop.ts), so batched runs get metrics.csv,
// checkpoints, resume, schedules and weight averaging exactly as `fit` does.
import { backward, noGrad } from '../core/autograd/engine.js';
import { ArgumentError, ShapeError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import type { RandomGenerator } from '../core/random.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import { loaderShuffleKey, shuffleOrder } from '../data/loader.js';
import type { TensorDataset } from '../data/loader.js';
import { evaluateMembers } from '../ensemble/evaluate-members.js';
import { memberRowLosses, standardObjective } from '../ensemble/objective.js';
import type { Objective, ObjectiveContext } from '../ensemble/objective.js';
import { StackedModel } from '../ensemble/stack.js';
import { pickStackSize } from '../ensemble/stack-size.js';
import { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { WeightAverage } from '../optim/weight-average.js';
import { EpochRecord, Reported, runTraining, TrainingTask } from './loop.js';

export type MemberEpochMetrics = {
  epoch: number;
  member: number;
  seed: number;
  train_loss: number;
  train_acc: number;
  val_loss: number | null;
  val_acc: number | null;
  /** Wall time of the whole epoch (all members together). */
  seconds: number;
};

export const MEMBER_METRIC_COLUMNS = ['epoch', 'member', 'seed', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'seconds'] as const;

export interface BatchedFitOptions {
  epochs: number;
  batchSize: number;
  /** One seed per member: its shuffle order. */
  seeds: readonly number[];
  /** Default: shuffle each epoch (as DataLoader with shuffle: true). */
  shuffle?: boolean;
  dropLast?: boolean;
  /**
   * Members per stacked pass. Smaller stacks run one after another in each step: a smaller
   * working set (on a CPU, large stacked activations fall out of cache), less to gain on per-op
   * overhead. Default 'auto': measured on this host at first use and cached
   * (lib/ensemble/stack-size.ts). The choice changes speed only: a member's arithmetic does not
   * depend on how many members share its stack (test/api: bit for bit for the seed CNN and an MLP
   * with batch norm and dropout).
   */
  stackSize?: number | 'auto';
  /** Builds the optimizer over every member's parameters (default Adam, lr `lr`). */
  optimizer?: (params: Tensor[]) => Optimizer;
  lr?: number;
  objective?: Objective;
  /** Evaluated for every member after each epoch. */
  val?: TensorDataset | null;
  /** Images per stacked evaluation pass (default ceil(1000 / M)). */
  evalBatchSize?: number;
  /** metrics.csv (one row per member and epoch) goes here. */
  outDir?: string | null;
  progress?: boolean;
  log?: (line: string) => void;
  onEpoch?: (rows: MemberEpochMetrics[]) => void;
  onBatch?: (epoch: number, batch: number) => void;
  /** Continue from outDir/checkpoint.safetensors when it exists (the loop's resume). */
  resume?: boolean;
  /** Stream of stochastic layers (dropout); saved in checkpoints. */
  generator?: RandomGenerator;
  scheduler?: { step(): void };
  /** An average of every member's weights, updated after each step; validation uses it. */
  average?: (members: Module) => WeightAverage;
}

export interface BatchedFitResult {
  model: StackedModel;
  /** The optimizer and its state, to continue training; the caller disposes it. */
  optimizer: Optimizer;
  /** history[e][m]: member m after epoch e. */
  history: MemberEpochMetrics[][];
  /** Member-images per second (every member's images count). */
  imagesPerSecond: number;
  secondsPerEpoch: number;
  /** Members per stacked pass that ran (the measured choice under stackSize 'auto'). */
  stackSize: number;
}

function checkOptions(members: readonly Module[], train: TensorDataset, o: BatchedFitOptions): void {
  if (o.seeds.length !== members.length)
    throw new ArgumentError(`fitBatched: ${o.seeds.length} seeds for ${members.length} members (one seed per member)`);
  for (const s of o.seeds)
    if (!(Number.isInteger(s) && s >= 0)) throw new ArgumentError(`fitBatched: seeds must be non-negative integers, got ${s}`);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0))
    throw new ArgumentError(`fitBatched: epochs must be a non-negative integer, got ${o.epochs}`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize > 0))
    throw new ArgumentError(`fitBatched: batchSize must be a positive integer, got ${o.batchSize}`);
  if (train.x.shape[0] !== train.y.shape[0] || train.y.ndim !== 1)
    throw new ShapeError(`fitBatched: inputs ${shapeStr(train.x.shape)} and labels ${shapeStr(train.y.shape)} must have one label per row`);
  if (train.x.ndim < 2) throw new ShapeError(`fitBatched: inputs must be [N, C, ...], got ${shapeStr(train.x.shape)}`);
}

/** Clears the gradients of some parameters only (one stack's members). */
function clearGrads(params: readonly Tensor[]): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}

/** Consecutive groups of at most `size` members, each run as one stacked module. */
function stacksOf(members: readonly Module[], size: number): { first: number; model: StackedModel }[] {
  const out: { first: number; model: StackedModel }[] = [];
  for (let first = 0; first < members.length; first += size)
    out.push({ first, model: new StackedModel(members.slice(first, first + size)) });
  return out;
}

/** The members as one module for checkpoints: member i's tensors are named `i.<PyTorch name>`. */
class MemberList extends Module {
  constructor(members: readonly Module[]) {
    super();
    members.forEach((m, i) => this.registerModule(String(i), m));
  }

  forward(): Tensor {
    throw new ArgumentError('a batched ensemble runs through its StackedModel, not member by member');
  }
}

/** M stacked members over one data set: the step batched training plugs into the loop. */
class BatchedTask implements TrainingTask {
  readonly columns = MEMBER_METRIC_COLUMNS;
  readonly unit = 'member-images';
  readonly model: Module;
  private readonly M: number;
  private readonly stacks: { first: number; model: StackedModel }[];
  private readonly labels: Tensor;
  private orders: Int32Array[] = [];
  private lossSum = new Float64Array(0);
  private correct = new Float64Array(0);
  private seen = 0;
  private t0 = 0;

  constructor(
    readonly stacked: StackedModel,
    readonly optimizer: Optimizer,
    private readonly train: TensorDataset,
    private readonly o: BatchedFitOptions,
    stackSize: number,
  ) {
    this.model = new MemberList(stacked.members);
    this.M = stacked.size;
    this.stacks = stackSize >= this.M ? [{ first: 0, model: stacked }] : stacksOf(stacked.members, stackSize);
    this.labels = train.y.dtype === 'int32' ? train.y : ops.cast(train.y, 'int32');
  }

  batchCount(): number {
    const n = this.train.x.shape[0];
    return this.o.dropLast ? Math.floor(n / this.o.batchSize) : Math.ceil(n / this.o.batchSize);
  }

  beginEpoch(epoch: number): void {
    const n = this.train.x.shape[0];
    const shuffle = this.o.shuffle ?? true;
    this.t0 = performance.now();
    this.orders = this.o.seeds.map((s) =>
      shuffle ? shuffleOrder(n, loaderShuffleKey(s), epoch) : Int32Array.from({ length: n }, (_, i) => i),
    );
    this.lossSum = new Float64Array(this.M);
    this.correct = new Float64Array(this.M);
    this.seen = 0;
  }

  step(_epoch: number, b: number): number {
    const train = this.train,
      B = this.o.batchSize;
    const lo = b * B,
      rows = Math.min(train.x.shape[0], lo + B) - lo;
    const objective = this.o.objective ?? standardObjective;
    // Every stack adds its members' gradients; the loop then steps the optimizer over all members.
    for (const { first, model: stack } of this.stacks) {
      const S = stack.size;
      // Batch-major rows (example i of every member, then example i + 1): the stacked input is
      // then a plain reshape of the gathered rows, [rows*S, C, ...] -> [rows, S*C, ...].
      const idx = new Int32Array(rows * S);
      for (let i = 0; i < rows; i++) for (let m = 0; m < S; m++) idx[i * S + m] = this.orders[first + m][lo + i];
      const ih = ops.tensor(idx, [idx.length], { device: train.x.device });
      const xs = ops.indexSelect(train.x, 0, ih);
      const y = ops.indexSelect(this.labels, 0, ih);
      ih.dispose();
      const x = ops.reshape(xs, [rows, S * train.x.shape[1], ...train.x.shape.slice(2)]);
      const params = stack.parameters();
      // The row losses of each output the objective scores, kept for the metrics below (the
      // clean output's are read there instead of computed a second time).
      const scored = new Map<Tensor, Tensor>();
      const ctx: ObjectiveContext = {
        model: stack,
        x,
        y,
        members: S,
        batchSize: rows,
        loss: (out) => {
          const l = memberRowLosses(out, y, S);
          scored.set(out, l);
          return ops.affine(ops.sum(l), 1 / rows, 0);
        },
        zeroGrad: () => clearGrads(params),
      };
      const r = objective(ctx);
      backward(r.loss);
      noGrad(() => {
        const l = (scored.get(r.output) ?? memberRowLosses(r.output, y, S)).data() as Float32Array;
        const K = r.output.shape[1] / S;
        const pred = ops.argmax(ops.reshape(r.output, [rows * S, K]), 1).data() as Int32Array;
        const lab = y.data() as Int32Array;
        for (let e = 0; e < rows * S; e++) {
          this.lossSum[first + (e % S)] += l[e];
          if (pred[e] === lab[e]) this.correct[first + (e % S)]++;
        }
      });
    }
    this.seen += rows;
    return rows * this.M;
  }

  progressText(): string {
    return `${this.M} members, loss ${(this.lossSum.reduce((a, v) => a + v, 0) / (this.M * this.seen)).toFixed(4)}`;
  }

  endEpoch(epoch: number, _seconds: number, reported: Reported): EpochRecord {
    const M = this.M,
      o = this.o;
    const v = o.val ? reported(() => evaluateMembers(this.stacked, o.val!.x, o.val!.y, o.evalBatchSize)) : null;
    const rows = Array.from({ length: M }, (_, m): MemberEpochMetrics => ({
      epoch: epoch + 1,
      member: m,
      seed: o.seeds[m],
      train_loss: this.lossSum[m] / this.seen,
      train_acc: this.correct[m] / this.seen,
      val_loss: v ? v[m].loss : null,
      val_acc: v ? v[m].acc : null,
      seconds: (performance.now() - this.t0) / 1000,
    }));
    const mean = (f: (r: MemberEpochMetrics) => number) => rows.reduce((a, r) => a + f(r), 0) / M;
    const summary =
      `epoch ${epoch + 1}/${o.epochs}: ${M} members, mean train loss ${mean((r) => r.train_loss).toFixed(4)} acc ${(100 * mean((r) => r.train_acc)).toFixed(2)}%` +
      (v ? `, mean val loss ${mean((r) => r.val_loss!).toFixed(4)} acc ${(100 * mean((r) => r.val_acc!)).toFixed(2)}%` : '');
    return { rows, score: v ? mean((r) => r.val_loss!) : mean((r) => r.train_loss), summary };
  }

  dispose(): void {
    if (this.labels !== this.train.y) this.labels.dispose();
  }
}

/** Trains `members` (one architecture, already initialised) together; see the file comment. */
export async function fitBatched(members: readonly Module[], train: TensorDataset, o: BatchedFitOptions): Promise<BatchedFitResult> {
  checkOptions(members, train, o);
  const stacked = new StackedModel(members);
  const asked = o.stackSize ?? 'auto';
  if (asked !== 'auto' && !(Number.isInteger(asked) && asked > 0))
    throw new ArgumentError(`fitBatched: stackSize must be a positive integer or 'auto', got ${asked}`);
  const stackSize =
    asked === 'auto'
      ? pickStackSize(members, train, o.batchSize, o.log ?? (o.progress === false ? undefined : (l) => process.stderr.write(`${l}\n`)))
      : asked;
  const optimizer = o.optimizer ? o.optimizer(stacked.parameters()) : new Adam(stacked.parameters(), { lr: o.lr ?? 1e-3 });
  const task = new BatchedTask(stacked, optimizer, train, o, stackSize);
  try {
    const r = await runTraining(task, {
      epochs: o.epochs,
      outDir: o.outDir,
      resume: o.resume,
      generator: o.generator,
      scheduler: o.scheduler,
      average: o.average?.(task.model),
      saveBest: false,
      progress: o.progress,
      log: o.log,
      onBatch: o.onBatch,
      onEpoch: o.onEpoch && ((rec) => o.onEpoch!(rec.rows as MemberEpochMetrics[])),
    });
    const M = stacked.size;
    const all = r.rows as MemberEpochMetrics[];
    const history = Array.from({ length: all.length / M }, (_, e) => all.slice(e * M, (e + 1) * M));
    return {
      model: stacked,
      optimizer,
      history,
      imagesPerSecond: r.imagesPerSecond,
      secondsPerEpoch: r.secondsPerEpoch,
      stackSize: Math.min(stackSize, M),
    };
  } finally {
    task.dispose();
  }
}
