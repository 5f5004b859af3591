// Timed repetitions of one workload step. Warm-up runs first (and is never counted); it also
// calibrates how many steps one repetition runs, so that a repetition lasts at least minRepMs and
// the timer's resolution and one-off hiccups weigh little. A sample is milliseconds per step.
// The clock is wall time, or this process's CPU time (user + system, every thread): on a machine
// shared with other jobs, the CPU time of a step hardly moves when the machine gets busier, while
// its wall time stretches with the load.

/** 'wall': elapsed time (what users wait for); 'cpu': CPU time of this process, all threads. */
export type Clock = 'wall' | 'cpu';

/** Milliseconds now on a clock. */
export function clockMs(clock: Clock): number {
  if (clock === 'wall') return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface MeasureOptions {
  reps: number;
  /** Warm-up steps before calibration (at least 1: the first step pays for allocation and JIT). */
  warmup: number;
  /** Shortest repetition; steps per repetition are raised until one lasts this long. */
  minRepMs: number;
  /** Default 'wall'. */
  clock?: Clock;
}

export interface Measured {
  /** Milliseconds per step, one value per repetition. */
  samples: number[];
  stepsPerRep: number;
}

/** Runs step() warmup times, calibrates the steps per repetition, then times reps repetitions. */
export function measureSteps(step: () => void, o: MeasureOptions): Measured {
  const now = () => clockMs(o.clock ?? 'wall');
  let last = 0;
  for (let i = 0; i < Math.max(1, o.warmup); i++) {
    const t0 = now();
    step();
    last = now() - t0;
  }
  const stepsPerRep = Math.max(1, Math.min(10_000, Math.ceil(o.minRepMs / Math.max(last, 1e-3))));
  const samples: number[] = [];
  for (let r = 0; r < o.reps; r++) {
    const t0 = now();
    for (let i = 0; i < stepsPerRep; i++) step();
    samples.push((now() - t0) / stepsPerRep);
  }
  return { samples, stepsPerRep };
}

/** Peak resident set of this process so far, in MiB (getrusage ru_maxrss is in KiB). */
export const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
