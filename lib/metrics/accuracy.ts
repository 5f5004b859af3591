// Classification accuracy from probabilities: the prediction is the first class of highest
// probability (ties go to the lowest index, as argmax does).
import { LabelInput, ProbInput, probsAndLabels, rowArgmax } from './input.js';

/** Fraction of rows whose argmax equals the label. */
export function accuracy(probs: ProbInput, labels: LabelInput): number {
  const { p, y } = probsAndLabels(probs, labels, 'accuracy');
  let ok = 0;
  for (let i = 0; i < p.n; i++) if (rowArgmax(p.data, i, p.classes) === y[i]) ok++;
  return ok / p.n;
}

/** 1 - accuracy. */
export function errorRate(probs: ProbInput, labels: LabelInput): number {
  return 1 - accuracy(probs, labels);
}
