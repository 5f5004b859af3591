// nnlab/bench: performance regression tests of nnlab models and hosts, as a library.
//   import { bench, compare } from 'nnlab/bench';
//   const result = await bench({ model: { file: './my-model.js', input: [64, 1, 28, 28], mode: 'train' }, quick: true });
//   const c = compare(JSON.parse(readFileSync('baseline.json', 'utf8')), result, { threshold: 0.05 });
//   if (c.regressions) process.exit(1);
// docs/bench.md describes the workloads, the result format and a CI job.
import { type CountOptions, runCounts } from './counts.js';
import { runTimed, type TimeOptions } from './run.js';
import type { BenchResult, CountsResult, TimeResult } from './types.js';

export interface BenchOptions extends TimeOptions, CountOptions {
  /** Count instructions under callgrind instead of timing (the guard driver's kernel workloads, a model, or --only names). */
  counts?: boolean;
}

/** Runs the benchmark: timings (default) or instruction counts (counts: true). */
export async function bench(o: BenchOptions & { counts: true }): Promise<CountsResult>;
export async function bench(o?: BenchOptions & { counts?: false }): Promise<TimeResult>;
export async function bench(o?: BenchOptions): Promise<BenchResult>;
export async function bench(o: BenchOptions = {}): Promise<BenchResult> {
  return o.counts ? runCounts(o) : runTimed(o);
}

export { runTimed, type TimeOptions } from './run.js';
export { runCounts, type CountOptions } from './counts.js';
export { countNodeWorkload, selfCostByObject } from './callgrind-node.js';
export { compare, parseThreshold, type Change, type ChangeStatus, type Comparison, type CompareOptions } from './compare.js';
export { formatResult, formatComparison, type Format } from './report.js';
export { mannWhitneyU, median, quantile, summarize, normalSf, type MannWhitney, type Summary, type Alternative } from './stats.js';
export { clockMs, measureSteps, peakRssMb, type Clock, type MeasureOptions, type Measured } from './measure.js';
export { gflopsOf, roofline, rooflineShare, type Unit } from './roofline.js';
export { convFlops, linearFlops, perImageFlops, resnet18Flops, SEED_CNN_FLOPS, MLP_FLOPS } from './flops.js';
export { hostInfo, nnlabVersion, type Host } from './host.js';
export {
  buildGuardDriver,
  countInstructions,
  guardWorkloads,
  verdict,
  LABELS,
  RISE_TOLERANCE,
  DROP_TOLERANCE,
  defaultGuardBuildDir,
} from './callgrind.js';
export { STANDARD_WORKLOADS, parseShape, type Workload, type UserModelSpec, type Mode, type LossSpec } from './workloads/index.js';
export type { BenchResult, TimeResult, CountsResult, WorkloadResult, WorkloadError, CountResult } from './types.js';
