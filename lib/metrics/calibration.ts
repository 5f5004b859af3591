// Expected calibration error (Guo et al. 2017) with the per-bin data of a reliability diagram.
// Confidence = the largest probability of a row, prediction = its argmax (ties to the lowest
// class). Bins are equal-width over [0, 1] and closed on the right, (b/B, (b+1)/B], the first
// one taking [0, 1/B]; ECE = sum_b (n_b / N) * |accuracy_b - confidence_b|.
import { ArgumentError } from '../core/errors.js';
import { LabelInput, ProbInput, probsAndLabels, rowArgmax } from './input.js';

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Accuracy and mean confidence of the rows in the bin; null when it is empty. */
  accuracy: number | null;
  confidence: number | null;
}

export interface Calibration {
  ece: number;
  /** Maximum calibration error: the largest |accuracy - confidence| over non-empty bins. */
  mce: number;
  bins: ReliabilityBin[];
}

export const ECE_BINS = 15;

/** The bin of a confidence: b with edges[b] < conf <= edges[b + 1] (bin 0 also takes conf = 0). */
export function binOf(conf: number, edges: Float64Array): number {
  const nb = edges.length - 1;
  let b = Math.min(nb - 1, Math.max(0, Math.ceil(conf * nb) - 1));
  // conf * nb rounds; settle against the float64 edges themselves.
  while (b > 0 && conf <= edges[b]) b--;
  while (b < nb - 1 && conf > edges[b + 1]) b++;
  return b;
}

export function expectedCalibrationError(probs: ProbInput, labels: LabelInput, opts: { bins?: number } = {}): Calibration {
  const nb = opts.bins ?? ECE_BINS;
  if (!(Number.isInteger(nb) && nb > 0)) throw new ArgumentError(`expectedCalibrationError: bins must be a positive integer, got ${nb}`);
  const { p, y } = probsAndLabels(probs, labels, 'expectedCalibrationError');
  const edges = Float64Array.from({ length: nb + 1 }, (_, b) => b / nb);
  const count = new Float64Array(nb),
    correct = new Float64Array(nb),
    confSum = new Float64Array(nb);
  for (let i = 0; i < p.n; i++) {
    const pred = rowArgmax(p.data, i, p.classes);
    const conf = p.data[i * p.classes + pred];
    const b = binOf(conf, edges);
    count[b]++;
    confSum[b] += conf;
    if (pred === y[i]) correct[b]++;
  }
  let ece = 0,
    mce = 0;
  const bins: ReliabilityBin[] = [];
  for (let b = 0; b < nb; b++) {
    if (count[b] === 0) {
      bins.push({ lo: edges[b], hi: edges[b + 1], count: 0, accuracy: null, confidence: null });
      continue;
    }
    const acc = correct[b] / count[b],
      conf = confSum[b] / count[b];
    ece += (count[b] / p.n) * Math.abs(acc - conf);
    mce = Math.max(mce, Math.abs(acc - conf));
    bins.push({ lo: edges[b], hi: edges[b + 1], count: count[b], accuracy: acc, confidence: conf });
  }
  return { ece, mce, bins };
}
