// Batched ensemble training: M members of one architecture trained in ONE pass per step, each
// with its own initialisation (built by the caller), its own shuffle order (its seed, exactly
// the order DataLoader({shuffle: true, seed}) gives a separate run) and its own optimizer state
// (one optimizer over every member's parameters: Adam, AdamW and SGD update each element from
// its own gradient and buffers only). The loss is the sum over members of each member's mean
// cross-entropy, so each member's gradient is its separate-run gradient, and the members come
// out as M separate `fit` runs would give them, up to floating-point summation order.
//
// The objective is pluggable (ObjectiveContext): adversarial training, for one, takes the input
// gradient of ctx.loss at ctx.x (member m's input only reaches member m's loss, so the stacked
// input gradient is every member's own), perturbs ctx.x and adds the loss there.
import { join } from 'node:path';

import { backward, noGrad } from '../core/autograd/engine.js';
import { loaderShuffleKey, rowsOf, shuffleOrder } from '../data/loader.js';
import type { TensorDataset } from '../data/loader.js';
import { ArgumentError, ShapeError } from '../core/errors.js';
import { writeCsv } from '../io/csv.js';
import { native } from '../core/native.js';
import type { Module } from '../nn/module.js';
import * as ops from '../core/ops/index.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { tidy } from '../core/scope.js';
import { fromHandle, shapeStr, Tensor } from '../core/tensor.js';
import { Progress } from '../train/progress.js';
import { StackedModel } from './stack.js';

export interface ObjectiveContext {
  model: StackedModel;
  /** Stacked inputs [B, M*C, ...]: member m's batch in channels m*C .. (m+1)*C - 1. */
  x: Tensor;
  /** int32 labels [B*M], batch-major: y[i*M + m] is the label of member m's i-th example. */
  y: Tensor;
  members: number;
  batchSize: number;
  /** Sum over members of each member's mean cross-entropy, from stacked logits [B, M*K]. */
  loss(output: Tensor): Tensor;
  /** Clears every member's parameter gradients (after a backward pass taken for input gradients). */
  zeroGrad(): void;
}

export interface ObjectiveResult {
  /** The scalar to minimise (backward() runs on it). */
  loss: Tensor;
  /** Stacked logits on the clean batch, for the per-member training loss and accuracy. */
  output: Tensor;
}

export type Objective = (ctx: ObjectiveContext) => ObjectiveResult;

/** Plain maximum likelihood: the members' cross-entropy on their own batches. */
export const standardObjective: Objective = (ctx) => {
  const output = ctx.model.forward(ctx.x);
  return { loss: ctx.loss(output), output };
};

export interface MemberEpochMetrics {
  epoch: number;
  member: number;
  seed: number;
  train_loss: number;
  train_acc: number;
  val_loss: number | null;
  val_acc: number | null;
  /** Wall time of the whole epoch (all members together). */
  seconds: number;
}

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
   * Members per stacked pass (default: all of them). Smaller stacks run one after another in
   * each step: same results, a smaller working set (on a CPU, large stacked activations fall out
   * of cache), less to gain on per-op overhead.
   */
  stackSize?: number;
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
}

export interface MemberEval {
  loss: number;
  acc: number;
}

/** Mean cross-entropy and accuracy of every member on (x, y), each seeing the same images. */
export function evaluateMembers(model: StackedModel, x: Tensor, y: Tensor, batchSize?: number): MemberEval[] {
  const M = model.size, n = x.shape[0];
  // The stacked activations of b images are those of b*M images of one model: keep that near 1000.
  const bs = batchSize ?? Math.ceil(1000 / M);
  if (!(Number.isInteger(bs) && bs > 0)) throw new ArgumentError(`evaluateMembers: batchSize must be a positive integer, got ${bs}`);
  const loss = new Float64Array(M), correct = new Float64Array(M);
  const modes = model.members.map((m) => m.namedModules().map(([, s]) => [s, s.training] as const));
  model.members.forEach((m) => m.eval());
  try {
    noGrad(() => {
      for (let lo = 0; lo < n; lo += bs) {
        tidy(() => {
          const hi = Math.min(n, lo + bs);
          const xb = rowsOf(x, lo, hi), yb = rowsOf(y, lo, hi);
          const logits = model.memberOutputs(xb); // [M, b, K]
          const K = logits.shape[2], b = hi - lo;
          const yRep = ops.reshape(ops.expand(ops.reshape(ops.cast(yb, 'int32'), [1, b]), [M, b]), [M * b]);
          const l = ops.crossEntropy(ops.reshape(logits, [M * b, K]), yRep, { reduction: 'none' }).data() as Float32Array;
          const pred = ops.argmax(logits, 2).data() as Int32Array;
          const lab = yRep.data();
          for (let m = 0; m < M; m++)
            for (let i = 0; i < b; i++) {
              loss[m] += l[m * b + i];
              if (pred[m * b + i] === lab[m * b + i]) correct[m]++;
            }
        });
      }
    });
  } finally {
    for (const list of modes) for (const [s, t] of list) s.training = t;
  }
  return Array.from({ length: M }, (_, m) => ({ loss: loss[m] / n, acc: correct[m] / n }));
}

function checkOptions(members: readonly Module[], train: TensorDataset, o: BatchedFitOptions): void {
  if (o.seeds.length !== members.length) throw new ArgumentError(`fitBatched: ${o.seeds.length} seeds for ${members.length} members (one seed per member)`);
  for (const s of o.seeds) if (!(Number.isInteger(s) && s >= 0)) throw new ArgumentError(`fitBatched: seeds must be non-negative integers, got ${s}`);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0)) throw new ArgumentError(`fitBatched: epochs must be a non-negative integer, got ${o.epochs}`);
  if (!(Number.isInteger(o.batchSize) && o.batchSize > 0)) throw new ArgumentError(`fitBatched: batchSize must be a positive integer, got ${o.batchSize}`);
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
  for (let first = 0; first < members.length; first += size) out.push({ first, model: new StackedModel(members.slice(first, first + size)) });
  return out;
}

/** Trains `members` (one architecture, already initialised) together; see the file comment. */
export async function fitBatched(members: readonly Module[], train: TensorDataset, o: BatchedFitOptions): Promise<BatchedFitResult> {
  checkOptions(members, train, o);
  const model = new StackedModel(members);
  const M = model.size, n = train.x.shape[0], B = o.batchSize;
  const stackSize = o.stackSize ?? M;
  if (!(Number.isInteger(stackSize) && stackSize > 0)) throw new ArgumentError(`fitBatched: stackSize must be a positive integer, got ${stackSize}`);
  const stacks = stackSize >= M ? [{ first: 0, model }] : stacksOf(members, stackSize);
  const optimizer = o.optimizer ? o.optimizer(model.parameters()) : new Adam(model.parameters(), { lr: o.lr ?? 1e-3 });
  const objective = o.objective ?? standardObjective;
  const progress = new Progress(process.stderr, o.progress ?? true);
  const log = o.log ?? ((s: string) => progress.line(s));
  const shuffle = o.shuffle ?? true;
  const batchesPerEpoch = o.dropLast ? Math.floor(n / B) : Math.ceil(n / B);
  const labels = train.y.dtype === 'int32' ? train.y : ops.cast(train.y, 'int32');
  const history: MemberEpochMetrics[][] = [];
  let images = 0, seconds = 0;
  members.forEach((m) => m.train());
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    const orders = o.seeds.map((s) => (shuffle ? shuffleOrder(n, loaderShuffleKey(s), epoch) : Int32Array.from({ length: n }, (_, i) => i)));
    const lossSum = new Float64Array(M), correct = new Float64Array(M);
    let seen = 0;
    for (let b = 0; b < batchesPerEpoch; b++) {
      const lo = b * B, rows = Math.min(n, lo + B) - lo;
      // Every stack adds its members' gradients; then one optimizer step over all members.
      for (const { first, model: stack } of stacks) {
        const S = stack.size;
        // Batch-major rows (example i of every member, then example i + 1): the stacked input is
        // then a plain reshape of the gathered rows, [rows*S, C, ...] -> [rows, S*C, ...].
        const idx = new Int32Array(rows * S);
        for (let i = 0; i < rows; i++) for (let m = 0; m < S; m++) idx[i * S + m] = orders[first + m][lo + i];
        tidy(() => {
          const ih = native.fromTypedArray(idx, [idx.length], train.x.device);
          const xs = fromHandle(native.indexSelect(train.x.handle, 0, ih));
          const y = fromHandle(native.indexSelect(labels.handle, 0, ih));
          ih.dispose();
          const x = ops.reshape(xs, [rows, S * train.x.shape[1], ...train.x.shape.slice(2)]);
          const params = stack.parameters();
          const ctx: ObjectiveContext = {
            model: stack, x, y, members: S, batchSize: rows,
            loss: (out) => ops.affine(ops.sum(memberRowLosses(out, y, S)), 1 / rows, 0),
            zeroGrad: () => clearGrads(params),
          };
          const r = objective(ctx);
          backward(r.loss);
          noGrad(() => {
            const l = memberRowLosses(r.output, y, S).data() as Float32Array;
            const K = r.output.shape[1] / S;
            const pred = ops.argmax(ops.reshape(r.output, [rows * S, K]), 1).data() as Int32Array;
            const lab = y.data() as Int32Array;
            for (let e = 0; e < rows * S; e++) {
              lossSum[first + (e % S)] += l[e];
              if (pred[e] === lab[e]) correct[first + (e % S)]++;
            }
          });
        });
      }
      optimizer.step();
      optimizer.zeroGrad();
      seen += rows;
      progress.update(`epoch ${epoch + 1}/${o.epochs}`, b + 1, batchesPerEpoch, `${M} members, loss ${(lossSum.reduce((a, v) => a + v, 0) / (M * seen)).toFixed(4)}`);
      o.onBatch?.(epoch, b);
      if (b % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    images += seen * M;
    seconds += trainSeconds;
    const v = o.val ? evaluateMembers(model, o.val.x, o.val.y, o.evalBatchSize) : null;
    const rows = Array.from({ length: M }, (_, m): MemberEpochMetrics => ({
      epoch: epoch + 1, member: m, seed: o.seeds[m], train_loss: lossSum[m] / seen, train_acc: correct[m] / seen,
      val_loss: v ? v[m].loss : null, val_acc: v ? v[m].acc : null, seconds: (performance.now() - t0) / 1000,
    }));
    history.push(rows);
    if (o.outDir)
      writeCsv(join(o.outDir, 'metrics.csv'), [...MEMBER_METRIC_COLUMNS], history.flat().map((r) => MEMBER_METRIC_COLUMNS.map((c) => r[c])));
    const mean = (f: (r: MemberEpochMetrics) => number) => rows.reduce((a, r) => a + f(r), 0) / M;
    log(`epoch ${epoch + 1}/${o.epochs}: ${M} members, mean train loss ${mean((r) => r.train_loss).toFixed(4)} acc ${(100 * mean((r) => r.train_acc)).toFixed(2)}%` +
      (v ? `, mean val loss ${mean((r) => r.val_loss!).toFixed(4)} acc ${(100 * mean((r) => r.val_acc!)).toFixed(2)}%` : '') +
      `, ${trainSeconds.toFixed(1)} s (${Math.round((seen * M) / trainSeconds)} member-images/s)`);
    o.onEpoch?.(rows);
  }
  if (labels !== train.y) labels.dispose();
  return { model, optimizer, history, imagesPerSecond: seconds > 0 ? images / seconds : 0, secondsPerEpoch: seconds / Math.max(o.epochs, 1) };
}

/** Cross-entropy of every (example, member) row of stacked logits [B, M*K], batch-major [B*M]. */
export function memberRowLosses(output: Tensor, y: Tensor, members: number): Tensor {
  if (output.ndim !== 2 || output.shape[1] % members !== 0 || output.shape[0] * members !== y.shape[0])
    throw new ShapeError(`objective: stacked logits must be [B, ${members}*K] for ${y.shape[0]} labels, got ${shapeStr(output.shape)}`);
  const K = output.shape[1] / members;
  return ops.crossEntropy(ops.reshape(output, [output.shape[0] * members, K]), y, { reduction: 'none' });
}
