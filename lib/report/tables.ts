// Tables computed from predictions: the confusion matrix and quantiles.
import { ArgumentError } from '../core/errors.js';
import type { TableData } from '../viz/table.js';

export function confusionTable(labels: ArrayLike<number>, pred: ArrayLike<number>, title: string, classes = 10): TableData {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][pred[i]]++;
  return {
    title,
    columns: ['label', ...Array.from({ length: classes }, (_, c) => `p${c}`), 'recall'],
    rows: m.map((r, c) => [
      String(c),
      ...r,
      +(
        r[c] /
        Math.max(
          1,
          r.reduce((a, b) => a + b, 0),
        )
      ).toFixed(4),
    ]),
  };
}

/** Quantile with linear interpolation between order statistics (numpy's default, "type 7"). */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new ArgumentError('quantile: no values');
  if (!(q >= 0 && q <= 1)) throw new ArgumentError(`quantile: q must be in [0, 1], got ${q}`);
  const s = Float64Array.from(values).sort();
  const h = (s.length - 1) * q,
    lo = Math.floor(h),
    hi = Math.ceil(h);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}
