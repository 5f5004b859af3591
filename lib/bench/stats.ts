// Statistics of repeated timings: robust summaries (median, quartiles) and the Mann-Whitney U test
// that decides whether a slowdown is beyond the run-to-run noise (rank-based, as criterion.rs and
// pyperf compare runs: no assumption that timings are normally distributed).

/** Sorted copy of a list. */
const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

/** Quantile q in [0, 1] by linear interpolation between order statistics (numpy's default). */
export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) throw new RangeError('quantile of an empty list');
  const s = sorted(xs);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return lo + 1 < s.length ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);

export interface Summary {
  n: number;
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  /** Half the interquartile range relative to the median: the "+-" of the reports. */
  spread: number;
}

export function summarize(xs: readonly number[]): Summary {
  const med = median(xs);
  const q1 = quantile(xs, 0.25),
    q3 = quantile(xs, 0.75);
  return { n: xs.length, median: med, q1, q3, min: Math.min(...xs), max: Math.max(...xs), spread: med ? (q3 - q1) / 2 / Math.abs(med) : 0 };
}

/** Complementary error function (Numerical Recipes' erfcc, a Chebyshev fit: fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z > z) of a standard normal. */
export const normalSf = (z: number) => 0.5 * erfc(z / Math.SQRT2);

/** Ranks (1-based, ties get their mean rank) of the concatenation of a and b, and the tie groups' sizes. */
function ranks(a: readonly number[], b: readonly number[]): { r: number[]; ties: number[] } {
  const all = [...a, ...b].map((v, i) => ({ v, i })).sort((p, q) => p.v - q.v);
  const r = new Array<number>(all.length);
  const ties: number[] = [];
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    for (let k = i; k <= j; k++) r[all[k].i] = (i + j) / 2 + 1;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { r, ties };
}

/** Number of arrangements giving each U in 0..n1*n2 (no ties), by the recurrence f(m,n,u) = f(m-1,n,u-n) + f(m,n-1,u). */
function exactCounts(n1: number, n2: number): number[] {
  // dp[n][u] for the current m, built up from m = 0.
  let prev: number[][] = Array.from({ length: n2 + 1 }, () => [1]);
  for (let m = 1; m <= n1; m++) {
    const cur: number[][] = [[1]];
    for (let n = 1; n <= n2; n++) {
      const size = m * n + 1;
      const row = new Array<number>(size).fill(0);
      const a = prev[n]; // f(m-1, n, u - n)
      for (let u = 0; u < a.length; u++) row[u + n] += a[u];
      const b = cur[n - 1]; // f(m, n-1, u)
      for (let u = 0; u < b.length; u++) row[u] += b[u];
      cur.push(row);
    }
    prev = cur;
  }
  return prev[n2];
}

export type Alternative = 'greater' | 'less' | 'two-sided';

export interface MannWhitney {
  /** U of the first sample: pairs (x, y) with x > y, ties counting one half. */
  u: number;
  p: number;
  method: 'exact' | 'asymptotic';
}

/**
 * Mann-Whitney U test of samples x and y. 'greater': x tends to be larger than y. Exact null
 * distribution when there are no ties and the smaller sample has at most 8 values, otherwise the
 * normal approximation with tie and continuity corrections: scipy.stats.mannwhitneyu's 'auto'.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], alternative: Alternative = 'two-sided'): MannWhitney {
  const n1 = x.length,
    n2 = y.length;
  if (!n1 || !n2) throw new RangeError(`Mann-Whitney U needs two non-empty samples (got ${n1} and ${n2} values)`);
  const { r, ties } = ranks(x, y);
  const r1 = r.slice(0, n1).reduce((s, v) => s + v, 0);
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const uTest = alternative === 'greater' ? u1 : alternative === 'less' ? u2 : Math.max(u1, u2);
  if (!ties.length && Math.min(n1, n2) <= 8) {
    const counts = exactCounts(n1, n2);
    const total = counts.reduce((s, v) => s + v, 0);
    let tail = 0;
    for (let u = Math.ceil(uTest); u < counts.length; u++) tail += counts[u];
    const p = (alternative === 'two-sided' ? 2 : 1) * (tail / total);
    return { u: u1, p: Math.min(1, p), method: 'exact' };
  }
  const n = n1 + n2;
  const tieTerm = ties.reduce((s, t) => s + t ** 3 - t, 0) / (n * (n - 1));
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm));
  const z = sigma > 0 ? (uTest - (n1 * n2) / 2 - 0.5) / sigma : 0;
  const p = (alternative === 'two-sided' ? 2 : 1) * normalSf(z);
  return { u: u1, p: Math.min(1, p), method: 'asymptotic' };
}
