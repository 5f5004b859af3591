// Negative log-likelihood of the true class (a proper scoring rule; the Deep Ensembles paper's
// "NLL"), averaged over examples, in nats.
import { ArgumentError } from '../core/errors.js';
import { LabelInput, ProbInput, probsAndLabels } from './input.js';

/**
 * Probabilities below it are raised to it before the log, so one float32 underflow (p = 0 for a
 * confidently wrong prediction) costs -log(1e-12) = 27.6 nats instead of making the mean infinite.
 */
export const NLL_FLOOR = 1e-12;

/** mean_i -log max(p_i[y_i], floor), computed in float64. */
export function nll(probs: ProbInput, labels: LabelInput, opts: { floor?: number } = {}): number {
  const floor = opts.floor ?? NLL_FLOOR;
  if (!(floor > 0 && floor < 1)) throw new ArgumentError(`nll: floor must be in (0, 1), got ${floor}`);
  const { p, y } = probsAndLabels(probs, labels, 'nll');
  let s = 0;
  for (let i = 0; i < p.n; i++) s -= Math.log(Math.max(p.data[i * p.classes + y[i]], floor));
  return s / p.n;
}
