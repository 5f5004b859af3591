// The result format of `nnlab bench` (what --json prints, --save writes and --compare reads).
import type { Host } from './host.js';

export interface WorkloadResult {
  id: string;
  title: string;
  size: string;
  unit: 'images/s' | 'GFLOP/s' | 'ms';
  /** Median over the repetitions, in unit. */
  value: number;
  /** Half the interquartile range relative to the median. */
  spread: number;
  /** One value per repetition, in unit (warm-up excluded). */
  samples: number[];
  /** Milliseconds per step, one per repetition: what --compare tests (lower is better for every unit). */
  ms_samples: number[];
  ms: number;
  steps_per_rep: number;
  gflops: number | null;
  roofline_share: number | null;
  peak_rss_mb: number;
  threads: number;
}

export interface WorkloadError {
  id: string;
  title: string;
  error: string;
}

export interface CountResult {
  id: string;
  title: string;
  /** Instructions the kernels executed (callgrind, AVX2 kernels, 1 thread). */
  instructions: number;
}

interface ResultBase {
  format: 'nnlab-bench/1';
  date: string;
  quick: boolean;
  host: Host;
}

export interface TimeResult extends ResultBase {
  mode: 'time';
  /** What the samples measure: wall time, or the workload process's CPU time (--clock cpu). */
  clock: 'wall' | 'cpu';
  reps: number;
  /** The best GEMM GFLOP/s of this run (null when no GEMM ran). */
  roofline_gflops: number | null;
  workloads: (WorkloadResult | WorkloadError)[];
}

export interface CountsResult extends ResultBase {
  mode: 'counts';
  workloads: CountResult[];
}

export type BenchResult = TimeResult | CountsResult;

export const isError = (w: WorkloadResult | WorkloadError): w is WorkloadError => 'error' in w;
