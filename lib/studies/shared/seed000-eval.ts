// Evaluation the seed-000 ensemble studies share: every member's softmax on a (perturbed) copy
// of a split, the ensemble as the mean of the members' softmax, the whole-set scores (accuracy,
// NLL, Brier, ECE, mean confidence), and grid captions "S 7 0.99" / "E 7 0.95".
//
// Members run one after another on each batch rather than as the stacked Ensemble module: for
// ResNet18 the stacked (grouped-convolution) pass costs ~2x the CPU time of M plain passes here.
// The perturbation is applied once per batch, so every member sees the same perturbed images.
import { ArgumentError, ShapeError } from '../../core/errors.js';
import { data, RandomGenerator, noGrad, ops, tidy } from '../../index.js';
import type { Tensor } from '../../index.js';
import { accuracy, brierScore, expectedCalibrationError, memberMean, nll, rowArgmax } from '../../metrics/index.js';
import type { Module } from '../../nn/module.js';
import { toModelInput } from '../../data/resnet-data.js';

/** Every model's softmax on transform(x) in batches: [M, N, K] row-major. x: normalised [N, 1, H, W]. */
export function memberProbs(
  models: readonly Module[],
  x: Tensor,
  o: { batch: number; transform?: (xb: Tensor, lo: number, hi: number) => Tensor },
): { probs: Float32Array; members: number; n: number; classes: number } {
  if (models.length === 0) throw new ArgumentError('memberProbs: needs at least one model');
  if (x.ndim !== 4 || x.shape[1] !== 1) throw new ShapeError(`memberProbs: images must be [N, 1, H, W], got [${x.shape.join(', ')}]`);
  if (!(Number.isInteger(o.batch) && o.batch > 0)) throw new ArgumentError(`memberProbs: batch must be a positive integer, got ${o.batch}`);
  const n = x.shape[0],
    M = models.length;
  let out: Float32Array | null = null,
    classes = 0;
  for (const m of models) m.eval();
  for (let lo = 0; lo < n; lo += o.batch) {
    const hi = Math.min(n, lo + o.batch);
    noGrad(() =>
      tidy(() => {
        const xb = lo === 0 && hi === n ? x : data.rowsOf(x, lo, hi);
        const input = toModelInput(o.transform ? o.transform(xb, lo, hi) : xb);
        models.forEach((model, j) => {
          // One scope per member: a member's activations are freed before the next one runs.
          const p = tidy(() => ops.softmax(model.forward(input), -1).data() as Float32Array);
          if (!out) {
            classes = p.length / (hi - lo);
            out = new Float32Array(M * n * classes);
          }
          out.set(p, (j * n + lo) * classes);
        });
      }),
    );
  }
  return { probs: out!, members: M, n, classes };
}

/** Member j's [N, K] probabilities inside an [M, N, K] array. */
export function memberRows(probs: Float32Array, j: number, n: number, classes: number): Float32Array {
  return probs.subarray(j * n * classes, (j + 1) * n * classes);
}

/** The ensemble's predictive distribution (mean of the members' softmax) as float32 [N, K]. */
export function ensembleRows(probs: Float32Array, members: number, n: number, classes: number): Float32Array {
  return Float32Array.from(memberMean(probs, [members, n, classes]));
}

export interface Scores {
  accuracy: number;
  nll: number;
  brier: number;
  ece: number;
  /** Mean of the largest probability. */
  mean_confidence: number;
}

const SCORE_COLUMNS: [keyof Scores, string][] = [
  ['accuracy', 'acc %'],
  ['nll', 'NLL'],
  ['brier', 'Brier'],
  ['mean_confidence', 'mean conf'],
  ['ece', 'ECE'],
];

/**
 * A table of one member against the ensemble, one row per setting (a noise level, an angle): the
 * setting, then each chosen score for the single model and the ensemble side by side (accuracy
 * in percent to 2 decimals, the others to 4).
 */
export function singleVsEnsembleTable(
  setting: string,
  rows: { at: number | string; single: Scores; ensemble: Scores }[],
  scores: (keyof Scores)[],
): { columns: string[]; rows: (number | string)[][] } {
  const chosen = SCORE_COLUMNS.filter(([k]) => scores.includes(k));
  const value = (s: Scores, k: keyof Scores) => (k === 'accuracy' ? +(100 * s[k]).toFixed(2) : +s[k].toFixed(4));
  return {
    columns: [setting, ...chosen.flatMap(([, label]) => [`single ${label}`, `ensemble ${label}`])],
    rows: rows.map((r) => [r.at, ...chosen.flatMap(([k]) => [value(r.single, k), value(r.ensemble, k)])]),
  };
}

export function scoresOf(probs: Float32Array, labels: ArrayLike<number>): Scores {
  const k = probs.length / labels.length;
  let conf = 0;
  for (let i = 0; i < labels.length; i++) conf += probs[i * k + rowArgmax(probs, i, k)];
  return {
    accuracy: accuracy(probs, labels),
    nll: nll(probs, labels),
    brier: brierScore(probs, labels),
    ece: expectedCalibrationError(probs, labels).ece,
    mean_confidence: conf / labels.length,
  };
}

/** Prediction and its probability for row i. */
export function predictionOf(probs: ArrayLike<number>, i: number, classes: number): { pred: number; prob: number } {
  const pred = rowArgmax(probs, i, classes);
  return { pred, prob: probs[i * classes + pred] };
}

/** "S 7 0.99" */
export function caption(tag: string, probs: ArrayLike<number>, i: number, classes: number): string {
  const { pred, prob } = predictionOf(probs, i, classes);
  return `${tag} ${pred} ${prob.toFixed(2)}`;
}

/** Pixels in [0, 1] (denormalised, as the model saw them) of rows `idx` of a normalised [N, 1, H, W] tensor. */
export function displayPixels(x: Tensor, idx: ArrayLike<number>, stats: data.NormStats): Float32Array[] {
  const hw = x.shape[2] * x.shape[3];
  return Array.from(idx, (i) =>
    tidy(() => {
      const v = data.denormalize(data.rowsOf(x, i, i + 1), stats).data() as Float32Array;
      return Float32Array.from(v.subarray(0, hw));
    }),
  );
}

/** Accuracy of rows `idx` only (the grid images). */
export function accuracyOn(probs: Float32Array, labels: ArrayLike<number>, idx: ArrayLike<number>, classes: number): number {
  let ok = 0;
  for (let t = 0; t < idx.length; t++) if (rowArgmax(probs, idx[t], classes) === labels[idx[t]]) ok++;
  return ok / idx.length;
}

/**
 * The same standard-normal draw z for every noise level (common random numbers): the level-s copy
 * of x is x + s * scale * z, so the curves over s are not jittered by fresh noise at each level.
 */
export function noiseDraw(x: Tensor, seed: number): Tensor {
  return ops.randn(x.shape, { generator: new RandomGenerator(seed), device: x.device }).keep();
}

/** x + amount * z (amount 0: x itself). */
export function withNoise(x: Tensor, z: Tensor, amount: number): Tensor {
  return amount === 0 ? x : ops.add(x, ops.affine(z, amount, 0));
}

/** A memberProbs transform adding amount * z (rows lo..hi of the draw) to each batch. */
export function noiseTransform(z: Tensor, amount: number): (xb: Tensor, lo: number, hi: number) => Tensor {
  return (xb, lo, hi) => (amount === 0 ? xb : ops.add(xb, ops.affine(data.rowsOf(z, lo, hi), amount, 0)));
}
