// Class maximisation through an exact k-NN (seed 001, section 4). The k-NN has no gradient, so:
//   pseudo-probability p_t(x) = fraction of the k nearest stored images (to the 8-bit image x, the
//     input the k-NN classifies) whose label is t;
//   pseudo-gradient d = mean_{j in T}(x - X_j) - push * mean_{j in W}(x - X_j), with T the k
//     nearest stored images OF CLASS t (a pull that exists even when no neighbour is of class t
//     yet) and W the current neighbours of another class; x <- clip(x - lr * m (.) d / |d|), m a
//     random 0/1 mask that updates only some pixels per step;
//   stop once p_t >= targetProb (the report's 0.6) or after maxSteps.
import { ArgumentError, DTypeError, ShapeError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { noGrad } from '../core/autograd/engine.js';
import { defaultGenerator, RandomGenerator } from '../core/random.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import { KnnMemory } from '../models/knn-gemm.js';

export interface KnnMaxOptions {
  targets: ArrayLike<number>;
  k: number;
  /** L2 length of a step in [0, 1] pixel units, before masking. Default 1. */
  lr?: number;
  /** Steps at most per image. Default 200. */
  maxSteps?: number;
  /** Stop once the pseudo-probability reaches this. Default 0.6 (the report's). */
  targetProb?: number;
  /** Probability that a pixel is updated at a step. Default 0.5. */
  maskProb?: number;
  /** Weight of the push away from wrong-class neighbours. Default 1. */
  push?: number;
  generator?: RandomGenerator;
}

export interface KnnMaxResult {
  /** Optimised images in [0, 1] (the 8-bit values the k-NN classified last), shape of the input. */
  images: Tensor;
  pInitial: Float32Array;
  pFinal: Float32Array;
  steps: Int32Array;
  /** Steps after which p_t >= targetProb first held, or -1 if never. */
  stepsToTarget: Int32Array;
  /** p_t at every evaluation, per image. */
  pHistory: number[][];
}

const toByte = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));

const shareOf = (neighbours: number[], labels: Int32Array, target: number, k: number) =>
  neighbours.filter((j) => labels[j] === target).length / k;

/** The k-NN's pseudo-probability of each image's target: its share of the k neighbours of the 8-bit image. */
export function knnTargetShare(memory: KnnMemory, x: Tensor, targets: ArrayLike<number>, k: number): Float32Array {
  if (x.numel !== x.shape[0] * memory.dim || targets.length !== x.shape[0])
    throw new ShapeError(
      `knnTargetShare: images ${shapeStr(x.shape)} with ${targets.length} targets; expected [N, ...] of ${memory.dim} pixels and N targets`,
    );
  const [near] = memory.search(Uint8Array.from(x.data() as Float32Array, toByte), k, [Array.from(targets, () => -1)]);
  return Float32Array.from(near, (nb, i) => shareOf(nb.index, memory.memory.labels, targets[i], k));
}

function checkOptions(o: KnnMaxOptions, memory: KnnMemory, n: number) {
  const r = {
    k: o.k,
    lr: o.lr ?? 1,
    maxSteps: o.maxSteps ?? 200,
    targetProb: o.targetProb ?? 0.6,
    maskProb: o.maskProb ?? 0.5,
    push: o.push ?? 1,
  };
  if (!(Number.isInteger(r.k) && r.k >= 1 && r.k <= memory.memory.n))
    throw new ArgumentError(`knnMax: k must be an integer in [1, ${memory.memory.n}], got ${r.k}`);
  if (!(Number.isFinite(r.lr) && r.lr > 0)) throw new ArgumentError(`knnMax: lr must be a finite number > 0, got ${r.lr}`);
  if (!(Number.isInteger(r.maxSteps) && r.maxSteps >= 0))
    throw new ArgumentError(`knnMax: maxSteps must be an integer >= 0, got ${r.maxSteps}`);
  if (!(r.targetProb > 0 && r.targetProb <= 1)) throw new ArgumentError(`knnMax: targetProb must be in (0, 1], got ${r.targetProb}`);
  if (!(r.maskProb > 0 && r.maskProb <= 1)) throw new ArgumentError(`knnMax: maskProb must be in (0, 1], got ${r.maskProb}`);
  if (!(Number.isFinite(r.push) && r.push >= 0)) throw new ArgumentError(`knnMax: push must be a finite number >= 0, got ${r.push}`);
  if (o.targets.length !== n) throw new ShapeError(`knnMax: ${o.targets.length} targets for ${n} images; expected one per image`);
  const labels = new Set(memory.memory.labels);
  for (let i = 0; i < n; i++)
    if (!labels.has(o.targets[i]))
      throw new ArgumentError(`knnMax: target ${i} is ${o.targets[i]}, a class with no image in the k-NN's memory`);
  return r;
}

/** Drives each image of x (float32 [N, ...] in [0, 1], dim = the memory's row length) toward its target class of the k-NN. */
export function knnMax(memory: KnnMemory, x: Tensor, o: KnnMaxOptions): KnnMaxResult {
  if (x.dtype !== 'float32') throw new DTypeError(`knnMax: images must be float32, got ${x.dtype}`);
  const n = x.shape[0],
    dim = memory.dim;
  if (x.ndim < 2 || n === 0 || x.numel !== n * dim)
    throw new ShapeError(
      `knnMax: images ${shapeStr(x.shape)} do not match the k-NN's memory; expected a non-empty batch [N, ...] of ${dim} pixels each`,
    );
  const s = checkOptions(o, memory, n);
  const gen = o.generator ?? defaultGenerator;
  const px = Float32Array.from(x.data() as Float32Array, (v) => Math.min(1, Math.max(0, v)));
  const bytes = Uint8Array.from(px, toByte);
  const stored = memory.memory;
  const pHistory: number[][] = Array.from({ length: n }, () => []);
  const steps = new Int32Array(n),
    stepsToTarget = new Int32Array(n).fill(-1);
  let active = [...Array(n).keys()];
  for (let step = 0; active.length; step++) {
    const q = new Uint8Array(active.length * dim);
    active.forEach((i, r) => q.set(bytes.subarray(i * dim, (i + 1) * dim), r * dim));
    const targets = active.map((i) => o.targets[i]);
    const [near, pull] = memory.search(q, s.k, [active.map(() => -1), targets]);
    const mask = noGrad(() => {
      const t = ops.rand([active.length, dim], { generator: gen });
      const m = t.data() as Float32Array;
      t.dispose();
      return m;
    });
    const still: number[] = [];
    active.forEach((i, r) => {
      const t = targets[r];
      const p = shareOf(near[r].index, stored.labels, t, s.k);
      pHistory[i].push(p);
      if (p >= s.targetProb) {
        stepsToTarget[i] = step;
        return;
      }
      if (step === s.maxSteps) return;
      const wrong = near[r].index.filter((j) => stored.labels[j] !== t);
      const d = new Float64Array(dim);
      const addMean = (rows: number[], w: number) => {
        for (const j of rows)
          for (let c = 0; c < dim; c++) d[c] += (w / rows.length) * (px[i * dim + c] - stored.pixels[j * dim + c] / 255);
      };
      addMean(pull[r].index, 1);
      if (wrong.length && s.push > 0) addMean(wrong, -s.push);
      let norm = 0;
      for (let c = 0; c < dim; c++) norm += d[c] * d[c];
      norm = Math.sqrt(norm);
      if (norm === 0) return; // x sits on its target-class neighbours: nothing to follow
      for (let c = 0; c < dim; c++) {
        if (mask[r * dim + c] >= s.maskProb) continue;
        const v = Math.min(1, Math.max(0, px[i * dim + c] - (s.lr * d[c]) / norm));
        px[i * dim + c] = v;
        bytes[i * dim + c] = toByte(v);
      }
      steps[i]++;
      still.push(i);
    });
    active = still;
  }
  return {
    images: ops.tensor(
      Float32Array.from(bytes, (b) => b / 255),
      x.shape.slice(),
      { device: x.device },
    ),
    pInitial: Float32Array.from(pHistory, (h) => h[0]),
    pFinal: Float32Array.from(pHistory, (h) => h[h.length - 1]),
    steps,
    stepsToTarget,
    pHistory,
  };
}
