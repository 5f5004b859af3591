// The shape of a benchmark workload: prepared once in its own process, then stepped repeatedly.
import type { Unit } from '../roofline.js';

export interface Prepared {
  /** One step: what a sample times (a repetition runs it stepsPerRep times). */
  step: () => void;
  /** Images per step, for images/s. */
  itemsPerStep?: number;
  /** GFLOP of one step, when countable. */
  gflopPerStep?: number | null;
}

export interface Workload {
  id: string;
  title: string;
  /** The value reported: images/s or GFLOP/s (higher is better) or ms per step (lower is better). */
  unit: Extract<Unit, 'images/s' | 'GFLOP/s' | 'ms'>;
  /** GEMM workloads set the run's roofline. */
  roofline?: boolean;
  size: (quick: boolean) => string;
  prepare: (quick: boolean) => Promise<Prepared> | Prepared;
}
