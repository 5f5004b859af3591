// What the adversarial studies (fgsm, adv-train) share: MNIST in pixel space for attacks, the
// FGSM sweep over eps with its scores, and the figures (curves per model, clean-vs-adversarial
// grids).
import { attacks, data, metrics, ops, tensor, tidy } from '../../index.js';
import type { Device, nn } from '../../index.js';
import { imageGrid } from '../../viz/image-grid.js';
import { linePlot } from '../../viz/line-plot.js';
import type { MnistSplit } from '../../data/mnist.js';

/**
 * A split whose x holds the raw pixels in [0, 1] (float32 [n, 1, 28, 28] on the run's device)
 * instead of normalised ones: what pixel-space models (attacks.PixelSpaceModel) train and are
 * attacked on. y, labels and pixels are the split's own (shared); dispose only x.
 */
export type PixelSplit = MnistSplit;

/** The same images as split.x before normalisation, rebuilt exactly from the stored bytes. */
export function pixelSplit(split: MnistSplit, device: Device): PixelSplit {
  const x = tidy(() => ops.to(data.toUnitFloat(tensor(split.pixels, [split.n, 1, 28, 28])), device)).keep();
  return { ...split, x };
}

/** Scores of a model on one attacked set. */
export interface SweepPoint {
  eps: number;
  accuracy: number;
  error: number;
  /** Mean max-probability over all images, and over the misclassified ones only. */
  meanConfidence: number;
  meanConfidenceWrong: number | null;
  nll: number;
  brier: number;
}

/**
 * Mean NLL and Brier score (lib/metrics: the Deep Ensembles paper's conventions, NLL with its
 * probability floor) of the softmax of log-probabilities [n, classes].
 */
export function scoringRules(logProbs: Float32Array, labels: ArrayLike<number>): { nll: number; brier: number } {
  const probs = logProbs.map(Math.exp);
  return { nll: metrics.nll(probs, labels), brier: metrics.brierScore(probs, labels) };
}

export function sweepPoint(eps: number, ev: attacks.AttackEvaluation, labels: Int32Array): SweepPoint {
  let wrong = 0,
    wrongConf = 0;
  for (let i = 0; i < ev.n; i++)
    if (ev.pred[i] !== labels[i]) {
      wrong++;
      wrongConf += ev.conf[i];
    }
  return {
    eps,
    accuracy: ev.accuracy,
    error: 1 - ev.accuracy,
    meanConfidence: ev.meanConfidence,
    meanConfidenceWrong: wrong ? wrongConf / wrong : null,
    ...scoringRules(ev.logProbs, labels),
  };
}

export interface SweepResult {
  points: SweepPoint[];
  /** Per eps: predictions, confidences and the first images (for grids). */
  evals: attacks.AttackEvaluation[];
}

/** FGSM at every eps (0 = the clean set) against a pixel-space model. */
export function fgsmSweep(
  model: nn.Module,
  test: PixelSplit,
  epsList: readonly number[],
  o: { batch: number; keepImages: number; log?: (s: string) => void; name?: string },
): SweepResult {
  const points: SweepPoint[] = [],
    evals: attacks.AttackEvaluation[] = [];
  for (const eps of epsList) {
    const ev = attacks.evaluateAttack(model, test.x, test.y, (m, x, y) => attacks.fgsm(m, x, y, { eps }), {
      batch: o.batch,
      keepImages: o.keepImages,
    });
    const p = sweepPoint(eps, ev, test.labels);
    points.push(p);
    evals.push(ev);
    o.log?.(
      `${o.name ?? 'model'}: FGSM eps ${eps}: accuracy ${(100 * p.accuracy).toFixed(2)}%, mean confidence ${p.meanConfidence.toFixed(3)}`,
    );
  }
  return { points, evals };
}

/** The sweep point at eps (exact match), or an error naming the eps values swept. */
export function pointAt(points: SweepPoint[], eps: number): SweepPoint {
  const p = points.find((q) => Math.abs(q.eps - eps) < 1e-12);
  if (!p) throw new Error(`internal: eps ${eps} is not in the sweep [${points.map((q) => q.eps).join(', ')}]`);
  return p;
}

/** Accuracy (or another score) against eps, one line per model. */
export function sweepPlot(runs: { name: string; points: SweepPoint[] }[], metric: 'accuracy' | 'meanConfidence', title: string): string {
  return linePlot(
    runs.map((r) => ({ name: r.name, x: r.points.map((p) => p.eps), y: r.points.map((p) => p[metric]) })),
    {
      title,
      xLabel: 'eps (L-infinity, pixel range [0, 1])',
      yLabel: metric === 'accuracy' ? 'accuracy on FGSM images' : 'mean max-probability',
      yDomain: [0, 1],
      legendAt: metric === 'accuracy' ? 'bottom' : 'top',
    },
  );
}

/**
 * Clean images (first row) and their FGSM versions at each eps in `rows` (one row each), with
 * the model's prediction and confidence; red = misclassified.
 */
export function adversarialGrid(sweep: SweepResult, labels: Int32Array, rows: readonly number[], count: number, title: string): string {
  const rowEvals = [0, ...rows].map((eps) => {
    const k = sweep.points.findIndex((p) => Math.abs(p.eps - eps) < 1e-12);
    if (k < 0) throw new Error(`internal: grid eps ${eps} is not in the sweep`);
    return { eps, ev: sweep.evals[k] };
  });
  const n = Math.min(count, ...rowEvals.map((r) => r.ev.images.length / 784));
  const items = rowEvals.flatMap(({ eps, ev }) =>
    Array.from({ length: n }, (_, i) => ({
      pixels: ev.images.subarray(i * 784, (i + 1) * 784),
      caption: [eps === 0 ? `clean, y=${labels[i]}` : `eps ${eps}`, `pred ${ev.pred[i]} p=${ev.conf[i].toFixed(2)}`],
      flagged: ev.pred[i] !== labels[i],
    })),
  );
  return imageGrid(items, { h: 28, w: 28, scale: 3, columns: n, title });
}
