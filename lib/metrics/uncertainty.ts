// Uncertainty of a predictive distribution, in nats: the predictive entropy H[p] (total
// uncertainty) and, for an ensemble, the mutual information between the prediction and the
// member, I = H[mean_m p_m] - mean_m H[p_m] (the members' disagreement: 0 when they all agree).
import { ArgumentError } from '../core/errors.js';
import { memberProbs, ProbInput, probMatrix } from './input.js';

function entropyOfRow(data: ArrayLike<number>, off: number, classes: number): number {
  let h = 0;
  for (let c = 0; c < classes; c++) {
    const v = data[off + c];
    if (v > 0) h -= v * Math.log(v); // 0 log 0 = 0
  }
  return h;
}

/** -sum_c p_c log p_c per row of probabilities [N, C] (`classes` is needed for a typed array). */
export function predictiveEntropy(probs: ProbInput, classes?: number): Float64Array {
  const p = probMatrix(probs, 'predictiveEntropy', undefined, classes);
  const out = new Float64Array(p.n);
  for (let i = 0; i < p.n; i++) out[i] = entropyOfRow(p.data, i * p.classes, p.classes);
  return out;
}

/**
 * The ensemble's predictive distribution from member probabilities [M, N, C]: the mean of the
 * first `first` members (all by default), as float64 [N, C].
 */
export function memberMean(members: ProbInput, shape?: readonly [number, number, number], first?: number): Float64Array {
  const m = memberProbs(members, 'memberMean', shape);
  const k = first ?? m.members;
  if (!(Number.isInteger(k) && k >= 1 && k <= m.members))
    throw new ArgumentError(`memberMean: first must be an integer in [1, ${m.members}], got ${first}`);
  const nc = m.n * m.classes;
  const out = new Float64Array(nc);
  for (let j = 0; j < k; j++) for (let e = 0; e < nc; e++) out[e] += m.data[j * nc + e];
  for (let e = 0; e < nc; e++) out[e] /= k;
  return out;
}

/**
 * Mutual information per example from member probabilities [M, N, C]:
 * H[mean_m p_m] - mean_m H[p_m] >= 0. Rounding can leave -1e-16 where the members agree
 * exactly: such values are returned as 0.
 */
export function mutualInformation(members: ProbInput, shape?: readonly [number, number, number]): Float64Array {
  const m = memberProbs(members, 'mutualInformation', shape);
  const mean = memberMean(m.data, [m.members, m.n, m.classes]);
  const nc = m.n * m.classes;
  const out = new Float64Array(m.n);
  for (let i = 0; i < m.n; i++) {
    let memberH = 0;
    for (let j = 0; j < m.members; j++) memberH += entropyOfRow(m.data, j * nc + i * m.classes, m.classes);
    out[i] = Math.max(0, entropyOfRow(mean, i * m.classes, m.classes) - memberH / m.members);
  }
  return out;
}

/** Mean of a per-example array (for headline numbers). */
export function meanOf(values: ArrayLike<number>): number {
  if (values.length === 0) throw new ArgumentError('meanOf: no values');
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}
