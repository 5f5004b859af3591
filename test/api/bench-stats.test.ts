// lib/bench's statistics: the Mann-Whitney U test against values computed with scipy 1.10.1
// (scipy.stats.mannwhitneyu, /usr/bin/python3), exact and asymptotic (ties, continuity correction),
// and the quantiles against numpy's linear interpolation; the comparison verdicts on hand-built runs.
import { describe, expect, it } from 'vitest';

import { compare, mannWhitneyU, parseThreshold, quantile, summarize } from '../../dist/bench/index.js';
import type { TimeResult } from '../../dist/bench/index.js';

describe('bench statistics', () => {
  it('Mann-Whitney U, exact null distribution (no ties, a sample of <= 8), as scipy', () => {
    const x = [10.1, 10.4, 9.9, 10.3, 10.2],
      y = [12.1, 12.3, 11.9, 12.4, 12.0];
    // mannwhitneyu(y, x, alternative='greater', method='exact') -> U=25, p=0.003968253968253968
    expect(mannWhitneyU(y, x, 'greater')).toEqual({ u: 25, p: expect.closeTo(0.003968253968253968, 12), method: 'exact' });
    // mannwhitneyu(x, y, alternative='two-sided', method='exact') -> U=0, p=0.007936507936507936
    expect(mannWhitneyU(x, y, 'two-sided').p).toBeCloseTo(0.007936507936507936, 12);
    expect(mannWhitneyU(x, y, 'greater').p).toBeCloseTo(1, 12);
    const a = [7.1, 7.4, 6.9, 7.3, 7.2, 7.8, 7.0],
      b = [7.5, 7.9, 8.1, 7.6, 8.3, 7.7, 8.0, 8.4];
    expect(mannWhitneyU(b, a, 'greater').p).toBeCloseTo(0.0010878010878010878, 12);
    expect(mannWhitneyU(b, a, 'two-sided').p).toBeCloseTo(0.0021756021756021756, 12);
  });

  it('Mann-Whitney U, normal approximation with tie and continuity corrections, as scipy', () => {
    const a = [1.1, 2.2, 2.2, 3.5, 4.0, 5.1, 6.3, 7.0, 7.7, 8.1],
      b = [2.2, 3.0, 4.4, 5.5, 6.0, 6.9, 8.8, 9.1, 9.9, 10.5, 11.0];
    const g = mannWhitneyU(b, a, 'greater'); // scipy: U=79, p=0.04876241949500662 (asymptotic)
    expect(g.u).toBe(79);
    expect(g.method).toBe('asymptotic');
    expect(g.p).toBeCloseTo(0.04876241949500662, 6);
    expect(mannWhitneyU(a, b, 'two-sided').p).toBeCloseTo(0.09752483899001324, 6); // U=31
    const x = [3, 1, 4, 1, 5],
      y = [9, 2, 6, 5, 3, 5];
    expect(mannWhitneyU(x, y, 'two-sided')).toEqual({ u: 6.5, p: expect.closeTo(0.13862587987892763, 6), method: 'asymptotic' });
    const big = Array.from({ length: 12 }, (_, i) => i + 1),
      shifted = Array.from({ length: 10 }, (_, i) => i + 4.5);
    expect(mannWhitneyU(shifted, big, 'greater')).toEqual({ u: 84, p: expect.closeTo(0.06062548794036901, 6), method: 'asymptotic' });
  });

  it('quantiles interpolate like numpy; the spread is half the IQR over the median', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 10], 0.25)).toBe(2);
    expect(quantile([5], 0.75)).toBe(5);
    const s = summarize([9, 10, 10, 11, 30]);
    expect(s.median).toBe(10);
    expect(s.spread).toBeCloseTo((11 - 10) / 2 / 10);
    expect(() => mannWhitneyU([], [1])).toThrow(/non-empty/);
  });

  it('thresholds read as percentages or fractions', () => {
    expect(parseThreshold('5%')).toBeCloseTo(0.05);
    expect(parseThreshold('0.05')).toBeCloseTo(0.05);
    expect(parseThreshold('12')).toBeCloseTo(0.12);
    expect(() => parseThreshold('fast')).toThrow(/--threshold/);
  });

  it('a slowdown beyond the threshold is a regression only when significant', () => {
    const run = (ms: number[][]): TimeResult =>
      ({
        format: 'nnlab-bench/1',
        mode: 'time',
        clock: 'wall',
        date: '',
        quick: true,
        reps: ms[0].length,
        roofline_gflops: null,
        host: {
          nnlab: '0',
          binary: 'CPU',
          isa: 'avx2',
          threads: 2,
          cpu: 'x',
          cores: 2,
          memoryGib: 1,
          node: 'v20',
          platform: 'linux',
          loadavg: [0],
        },
        workloads: ms.map((s, i) => ({
          id: `w${i}`,
          title: '',
          size: '',
          unit: 'ms',
          value: 0,
          spread: 0,
          samples: s,
          ms_samples: s,
          ms: 0,
          steps_per_rep: 1,
          gflops: null,
          roofline_share: null,
          peak_rss_mb: 1,
          threads: 2,
        })),
      }) as TimeResult;
    const base = run([
      [10, 10.1, 9.9, 10.05, 9.95],
      [10, 10.1, 9.9, 10.05, 9.95],
      [10, 10.1, 9.9, 10.05, 9.95],
    ]);
    const cur = run([
      [12, 12.1, 11.9, 12.05, 11.95], // 20% slower, every repetition: significant
      [9, 14, 8, 12.5, 12.1], // median 20% slower but overlapping: noise
      [10.02, 10.0, 9.97, 10.1, 9.9], // unchanged
    ]);
    const c = compare(base, cur, { threshold: 0.05 });
    expect(c.changes.map((x) => x.status)).toEqual(['slower', 'noise', 'ok']);
    expect(c.regressions).toBe(1);
    expect(c.changes[0].change).toBeCloseTo(0.2);
    expect(compare(base, base).regressions).toBe(0);
  });
});
