// A run against a saved baseline. Timed workloads: a regression is slower by more than the
// threshold AND significantly so (one-sided Mann-Whitney U over the repetitions' times, p < alpha),
// so that neither a small real slowdown nor run-to-run noise alone fails a build. Counts: more
// instructions than the threshold allows, or a drop beyond the guard's 20% (work skipped?).
import { ArgumentError } from '../core/errors.js';
import { DROP_TOLERANCE, verdict } from './callgrind.js';
import { median, mannWhitneyU } from './stats.js';
import { type BenchResult, isError, type WorkloadResult } from './types.js';

export type ChangeStatus = 'ok' | 'slower' | 'faster' | 'noise' | 'new' | 'missing' | 'error' | 'rise' | 'drop';

export interface Change {
  id: string;
  /** Baseline and current figure: ms per step (time) or instructions (counts). */
  baseline: number | null;
  current: number | null;
  /** current / baseline - 1: positive is slower (more time or more instructions). */
  change: number | null;
  /** One-sided Mann-Whitney p that the current times are larger (time mode only). */
  p: number | null;
  status: ChangeStatus;
  regression: boolean;
}

export interface Comparison {
  mode: 'time' | 'counts';
  threshold: number;
  alpha: number;
  changes: Change[];
  regressions: number;
  /** Host fields that differ between the baseline and this run (figures may not compare). */
  hostDiffers: string[];
}

export interface CompareOptions {
  /** Fraction, e.g. 0.05 for 5%. */
  threshold?: number;
  /** Significance level of the Mann-Whitney test (default 0.05). */
  alpha?: number;
}

/** "5%", "0.05" or "5" (percent when > 1) as a fraction. */
export function parseThreshold(s: string | number): number {
  const str = String(s).trim();
  const v = Number(str.replace(/%$/, ''));
  if (!Number.isFinite(v) || v < 0) throw new ArgumentError(`--threshold must be a percentage like 5% or a fraction like 0.05, got '${s}'`);
  return str.endsWith('%') || v > 1 ? v / 100 : v;
}

function timeChange(
  id: string,
  base: WorkloadResult | undefined,
  cur: WorkloadResult | undefined,
  threshold: number,
  alpha: number,
): Change {
  if (!base) return { id, baseline: null, current: cur?.ms ?? null, change: null, p: null, status: 'new', regression: false };
  if (!cur) return { id, baseline: base.ms, current: null, change: null, p: null, status: 'missing', regression: false };
  const b = median(base.ms_samples),
    c = median(cur.ms_samples);
  const change = c / b - 1;
  const p = mannWhitneyU(cur.ms_samples, base.ms_samples, 'greater').p;
  const pFaster = mannWhitneyU(cur.ms_samples, base.ms_samples, 'less').p;
  let status: ChangeStatus = 'ok';
  if (change > threshold) status = p < alpha ? 'slower' : 'noise';
  else if (change < -threshold && pFaster < alpha) status = 'faster';
  return { id, baseline: b, current: c, change, p, status, regression: status === 'slower' };
}

export function compare(baseline: BenchResult, current: BenchResult, o: CompareOptions = {}): Comparison {
  const threshold = o.threshold ?? 0.05,
    alpha = o.alpha ?? 0.05;
  if (baseline.format !== 'nnlab-bench/1')
    throw new ArgumentError(`bench --compare: the baseline is not an nnlab bench result (format '${String(baseline.format)}')`);
  if (baseline.mode !== current.mode)
    throw new ArgumentError(
      `bench --compare: the baseline holds ${baseline.mode === 'counts' ? 'instruction counts' : 'timings'}, this run ${current.mode === 'counts' ? 'counts instructions' : 'times'} (add or drop --counts)`,
    );
  if (baseline.mode === 'time' && current.mode === 'time' && (baseline.clock ?? 'wall') !== (current.clock ?? 'wall'))
    throw new ArgumentError(
      `bench --compare: the baseline was timed on the ${baseline.clock ?? 'wall'} clock, this run on the ${current.clock} clock (--clock)`,
    );
  const hostDiffers = (['nnlab', 'binary', 'isa', 'threads', 'cpu'] as const)
    .filter((k) => baseline.host?.[k] !== current.host[k])
    .map((k) => `${k}: ${baseline.host?.[k]} -> ${current.host[k]}`);
  const changes: Change[] = [];
  const ids = [...new Set([...current.workloads.map((w) => w.id), ...baseline.workloads.map((w) => w.id)])];
  for (const id of ids) {
    if (current.mode === 'counts' && baseline.mode === 'counts') {
      const b = baseline.workloads.find((w) => w.id === id)?.instructions,
        c = current.workloads.find((w) => w.id === id)?.instructions;
      if (c === undefined) {
        changes.push({ id, baseline: b ?? null, current: null, change: null, p: null, status: 'missing', regression: false });
        continue;
      }
      const v = verdict(c, b, threshold, DROP_TOLERANCE);
      changes.push({
        id,
        baseline: b ?? null,
        current: c,
        change: v.change,
        p: null,
        status: v.status,
        regression: v.status === 'rise' || v.status === 'drop',
      });
      continue;
    }
    if (current.mode !== 'time' || baseline.mode !== 'time') continue;
    const b = baseline.workloads.find((w) => w.id === id),
      c = current.workloads.find((w) => w.id === id);
    if ((c && isError(c)) || (b && isError(b))) {
      // A workload that ran in the baseline and fails now is a failure of this run.
      const failedNow = !!c && isError(c);
      changes.push({
        id,
        baseline: null,
        current: null,
        change: null,
        p: null,
        status: 'error',
        regression: failedNow && !!b && !isError(b),
      });
      continue;
    }
    changes.push(timeChange(id, b as WorkloadResult | undefined, c as WorkloadResult | undefined, threshold, alpha));
  }
  return { mode: current.mode, threshold, alpha, changes, regressions: changes.filter((c) => c.regression).length, hostDiffers };
}
