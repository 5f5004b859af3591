// The timed benchmark: every workload in its own child process (child.ts), the values derived
// from its milliseconds per step, and the GEMM roofline of the same run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { ArgumentError } from '../core/errors.js';
import type { ChildOutput, ChildSpec } from './child.js';
import type { Clock } from './measure.js';
import { hostInfo } from './host.js';
import { gflopsOf, roofline, rooflineShare } from './roofline.js';
import { summarize } from './stats.js';
import { isError, type TimeResult, type WorkloadError, type WorkloadResult } from './types.js';
import { selectStandard, STANDARD_WORKLOADS, type UserModelSpec } from './workloads/index.js';

export interface TimeOptions {
  /** Standard workloads whose id contains one of these (default: all; none when model is given). */
  only?: readonly string[] | null;
  /** A user model (module file + input shape + mode) to run instead of the standard workloads. */
  model?: UserModelSpec;
  /** Smaller batches, 5 repetitions, shorter repetitions. */
  quick?: boolean;
  /** Repetitions per workload (default 10, --quick 5); at least 4 each for --compare to find significance at 5%. */
  reps?: number;
  warmup?: number;
  /** Shortest repetition in ms (default 200, --quick 50). */
  minRepMs?: number;
  /** Measure GEMM for the roofline share even when it is not selected (default true). */
  roofline?: boolean;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** What a sample measures: wall time (default) or the workload process's CPU time (steadier on shared machines). */
  clock?: Clock;
  /** Extra environment for the workload processes. */
  env?: NodeJS.ProcessEnv;
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));
const CHILD_TIMEOUT_MS = 30 * 60 * 1000;

function runChild(spec: ChildSpec, env: NodeJS.ProcessEnv | undefined): ChildOutput | { error: string } {
  const r = spawnSync(process.execPath, [CHILD, JSON.stringify(spec)], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 16 << 20,
    timeout: CHILD_TIMEOUT_MS,
  });
  const last = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (last) {
    try {
      return JSON.parse(last) as ChildOutput | { error: string };
    } catch {
      /* below */
    }
  }
  const why = r.error?.message ?? (r.stderr || '').trim().split('\n').filter(Boolean).pop() ?? `exit code ${r.status}`;
  return { error: `workload ${spec.id} failed: ${why}` };
}

/** The value of one step time in the workload's unit. */
function valueOf(o: ChildOutput, ms: number): number {
  if (o.unit === 'ms') return ms;
  if (o.unit === 'GFLOP/s') return (o.gflop_per_step ?? NaN) / (ms / 1000);
  return (o.items_per_step ?? NaN) / (ms / 1000);
}

function toResult(o: ChildOutput): WorkloadResult {
  const samples = o.ms_samples.map((ms) => valueOf(o, ms));
  const s = summarize(samples);
  const ms = summarize(o.ms_samples).median;
  return {
    id: o.id,
    title: o.title,
    size: o.size,
    unit: o.unit,
    value: s.median,
    spread: s.spread,
    samples,
    ms_samples: o.ms_samples,
    ms,
    steps_per_rep: o.steps_per_rep,
    gflops: o.gflop_per_step ? gflopsOf('ms', ms, o.gflop_per_step) : null,
    roofline_share: null,
    peak_rss_mb: o.peak_rss_mb,
    threads: o.threads,
  };
}

/** Runs the workloads and returns the result (what --json prints and --save writes). */
export function runTimed(o: TimeOptions = {}): TimeResult {
  const quick = !!o.quick;
  const reps = o.reps ?? (quick ? 5 : 10);
  if (!Number.isInteger(reps) || reps < 1) throw new ArgumentError(`bench: reps must be a positive integer, got ${reps}`);
  const chosen = o.model ? [] : selectStandard(o.only);
  const ids = chosen.map((w) => w.id);
  const roofIds = STANDARD_WORKLOADS.filter((w) => w.roofline).map((w) => w.id);
  const plan: { id: string; model?: UserModelSpec }[] = [];
  // The roofline first: it is measured in the same run, on the same host, under the same load.
  if (o.roofline !== false) for (const id of roofIds) if (!ids.includes(id)) plan.push({ id });
  plan.push(...ids.map((id) => ({ id })));
  if (o.model) plan.push({ id: 'model', model: o.model });
  const started = new Date();
  const workloads: (WorkloadResult | WorkloadError)[] = [];
  for (const p of plan) {
    o.log?.(`${p.model ? p.model.file : p.id} ...`);
    const spec: ChildSpec = {
      id: p.id,
      model: p.model,
      quick,
      reps,
      warmup: o.warmup ?? (quick ? 1 : 2),
      minRepMs: o.minRepMs ?? (quick ? 50 : 200),
      clock: o.clock ?? 'wall',
    };
    const out = runChild(spec, o.env);
    workloads.push(
      'error' in out
        ? { id: p.model ? `model:${p.model.file}` : p.id, title: p.model ? p.model.file : p.id, error: out.error }
        : toResult(out),
    );
  }
  const roof = roofline(workloads.filter((w) => !isError(w) && roofIds.includes(w.id)).map((w) => (w as WorkloadResult).gflops));
  for (const w of workloads) if (!isError(w)) w.roofline_share = rooflineShare(w.gflops, roof);
  return {
    format: 'nnlab-bench/1',
    mode: 'time',
    clock: o.clock ?? 'wall',
    date: started.toISOString(),
    quick,
    reps,
    host: hostInfo(),
    roofline_gflops: roof,
    workloads,
  };
}
