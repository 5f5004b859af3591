// The process one workload runs in (spawned by run.ts), so its peak RSS is that workload's alone
// and one workload's heap cannot slow the next. Reads a ChildSpec as JSON from argv[2] and prints
// one JSON line: the measurement or { error }.
import { numThreads } from '../core/device.js';
import { type Clock, measureSteps, peakRssMb } from './measure.js';
import { findWorkload, type UserModelSpec } from './workloads/index.js';

export interface ChildSpec {
  id: string;
  model?: UserModelSpec;
  quick: boolean;
  reps: number;
  warmup: number;
  minRepMs: number;
  clock?: Clock;
}

export interface ChildOutput {
  id: string;
  title: string;
  size: string;
  unit: 'images/s' | 'GFLOP/s' | 'ms';
  roofline: boolean;
  ms_samples: number[];
  steps_per_rep: number;
  items_per_step: number | null;
  gflop_per_step: number | null;
  peak_rss_mb: number;
  threads: number;
}

async function main(spec: ChildSpec): Promise<ChildOutput> {
  const w = await findWorkload(spec.id, spec.model);
  const p = await w.prepare(spec.quick);
  const m = measureSteps(p.step, { reps: spec.reps, warmup: spec.warmup, minRepMs: spec.minRepMs, clock: spec.clock });
  return {
    id: w.id,
    title: w.title,
    size: w.size(spec.quick),
    unit: w.unit,
    roofline: !!w.roofline,
    ms_samples: m.samples,
    steps_per_rep: m.stepsPerRep,
    items_per_step: p.itemsPerStep ?? null,
    gflop_per_step: p.gflopPerStep ?? null,
    peak_rss_mb: peakRssMb(),
    threads: numThreads(),
  };
}

main(JSON.parse(process.argv[2] ?? '{}') as ChildSpec).then(
  (out) => process.stdout.write(`\n${JSON.stringify(out)}\n`),
  (e: Error) => {
    process.stdout.write(`\n${JSON.stringify({ error: `${e?.name ?? 'Error'}: ${e?.message ?? e}` })}\n`);
    process.exitCode = 1;
  },
);
