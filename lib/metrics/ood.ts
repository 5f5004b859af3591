// Out-of-distribution detection from a score per example where HIGHER means MORE
// IN-DISTRIBUTION (e.g. the max probability, or minus the entropy): in-distribution examples are
// the positive class. AUROC is the probability that a random in-distribution example scores
// above a random OOD one, ties counting one half (the Mann-Whitney statistic, equal to
// scikit-learn's roc_auc_score with in-distribution labelled 1). FPR at 95% TPR is the fraction
// of OOD examples accepted at the highest threshold that accepts >= 95% of the in-distribution
// ones (an example is accepted when score >= threshold): scikit-learn's roc_curve read at its
// first point with tpr >= 0.95.
import { ArgumentError } from '../core/errors.js';
import { ScoreInput, scoreArray } from './input.js';

/** Area under the ROC curve of in-distribution (positive) vs OOD scores. */
export function auroc(inScores: ScoreInput, oodScores: ScoreInput): number {
  const a = scoreArray(inScores, 'auroc', 'inScores'),
    b = scoreArray(oodScores, 'auroc', 'oodScores');
  // Sum over in-distribution scores of (# OOD below + half # OOD equal), by a merge of sorted lists.
  const sa = a.slice().sort(),
    sb = b.slice().sort();
  let below = 0,
    j = 0,
    total = 0;
  for (let i = 0; i < sa.length;) {
    const v = sa[i];
    let same = 0;
    while (i + same < sa.length && sa[i + same] === v) same++;
    while (j < sb.length && sb[j] < v) j++;
    below = j;
    let equal = 0;
    while (j + equal < sb.length && sb[j + equal] === v) equal++;
    total += same * (below + equal / 2);
    i += same;
  }
  return total / (sa.length * sb.length);
}

/** FPR at the first ROC point (thresholds from high to low) whose TPR reaches `tpr`. */
export function fprAtTpr(inScores: ScoreInput, oodScores: ScoreInput, tpr = 0.95): number {
  if (!(tpr > 0 && tpr <= 1)) throw new ArgumentError(`fprAtTpr: tpr must be in (0, 1], got ${tpr}`);
  const a = scoreArray(inScores, 'fprAtTpr', 'inScores'),
    b = scoreArray(oodScores, 'fprAtTpr', 'oodScores');
  const sa = a.slice().sort().reverse(),
    sb = b.slice().sort().reverse();
  // Walk the distinct thresholds from the highest score down.
  let i = 0,
    j = 0;
  while (i < sa.length) {
    const t = Math.max(sa[i], j < sb.length ? sb[j] : -Infinity);
    while (i < sa.length && sa[i] >= t) i++;
    while (j < sb.length && sb[j] >= t) j++;
    if (i / sa.length >= tpr) return j / sb.length;
  }
  return j / sb.length; // unreachable: the lowest threshold accepts everything (TPR 1)
}

/** 95%: the usual operating point of OOD benchmarks. */
export const fprAt95Tpr = (inScores: ScoreInput, oodScores: ScoreInput) => fprAtTpr(inScores, oodScores, 0.95);
