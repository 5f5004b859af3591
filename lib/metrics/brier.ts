// Brier score, with the Deep Ensembles paper's convention (Lakshminarayanan et al. 2017, eq. in
// section 2.2): the SUM over classes of (p_c - onehot_c)^2, averaged over examples. It lies in
// [0, 2]; scikit-learn's brier_score_loss is the binary case, and some papers divide by C.
import { LabelInput, ProbInput, probsAndLabels } from './input.js';

/** mean_i sum_c (p_ic - [c = y_i])^2, computed in float64. */
export function brierScore(probs: ProbInput, labels: LabelInput): number {
  const { p, y } = probsAndLabels(probs, labels, 'brierScore');
  let s = 0;
  for (let i = 0; i < p.n; i++) {
    const off = i * p.classes;
    for (let c = 0; c < p.classes; c++) {
      const d = p.data[off + c] - (c === y[i] ? 1 : 0);
      s += d * d;
    }
  }
  return s / p.n;
}
