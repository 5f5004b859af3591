// Running one unit (or the reduce step) in this process: the planned thread count, the timing,
// and the marker that says it finished (or failed, with the error and where the log is).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { numThreads, setNumThreads } from '../core/device.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Plan } from './graph.js';
import { clearUnitFailure, readUnitOutput, unitDir, unitLog, UnitOutput, UnitSpec, writeUnitFailure, writeUnitOutput } from './units.js';

/** What a study supplies to run its graph: one unit, and the reduce over all the units' outputs. */
export interface GraphRunner {
  /** `after` holds the outputs of the units this one runs after (UnitSpec.after). */
  runUnit(
    plan: Plan,
    unit: UnitSpec,
    ctx: { run: string; dir: string; after: Map<string, UnitOutput>; log: (s: string) => void },
  ): Promise<Record<string, unknown>>;
  reduce(plan: Plan, ctx: { run: string; outputs: Map<string, UnitOutput>; log: (s: string) => void }): Promise<Record<string, unknown>>;
}

export class UnitFailedError extends Error {
  constructor(
    readonly unit: string,
    readonly log: string | null,
    cause: string,
  ) {
    super(`unit '${unit}' failed: ${cause}${log ? ` (log: ${log})` : ''}`);
  }
}

/** Trains `unit` unless its marker says it is done; writes unit.json on success, failed.json (and rethrows) on error. */
export async function runUnitHere(
  run: string,
  plan: Plan,
  unit: UnitSpec,
  runner: GraphRunner,
  log: (s: string) => void,
  logPath: string | null = unitLog(run, unit.id),
): Promise<UnitOutput> {
  const done = readUnitOutput(run, unit.id);
  if (done) {
    log(`unit ${unit.id}: already finished (${join(unitDir(run, unit.id), 'unit.json')})`);
    return done;
  }
  const after = new Map<string, UnitOutput>();
  for (const d of unit.after ?? []) {
    const o = readUnitOutput(run, d);
    if (!o) {
      const msg = `it runs after unit '${d}', which has not finished`;
      writeUnitFailure(run, { id: unit.id, error: msg, log: logPath, failed_at: new Date().toISOString() });
      throw new UnitFailedError(unit.id, logPath, msg);
    }
    after.set(d, o);
  }
  clearUnitFailure(run, unit.id);
  const dir = unitDir(run, unit.id);
  mkdirSync(dir, { recursive: true });
  const before = numThreads();
  setNumThreads(unit.resources.cpus);
  const t0 = performance.now();
  try {
    const output = await runner.runUnit(plan, unit, { run, dir, after, log });
    const o: UnitOutput = {
      id: unit.id,
      output,
      seconds: (performance.now() - t0) / 1000,
      threads: unit.resources.cpus,
      finished_at: new Date().toISOString(),
    };
    writeUnitOutput(run, o);
    log(`unit ${unit.id}: done in ${o.seconds.toFixed(1)} s`);
    return o;
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    writeUnitFailure(run, { id: unit.id, error: msg, log: logPath, failed_at: new Date().toISOString() });
    throw new UnitFailedError(unit.id, logPath, msg);
  } finally {
    setNumThreads(before);
  }
}

/** Runs the reduce step here (every unit must have finished); writes scale/reduce.done. */
export async function reduceHere(run: string, plan: Plan, runner: GraphRunner, log: (s: string) => void): Promise<Record<string, unknown>> {
  const outputs = new Map<string, UnitOutput>();
  const missing: string[] = [];
  for (const u of plan.units) {
    const o = readUnitOutput(run, u.id);
    if (o) outputs.set(u.id, o);
    else missing.push(u.id);
  }
  if (missing.length)
    throw new UnitFailedError(
      missing[0],
      unitLog(run, missing[0]),
      `the reduce step needs units that have not finished: ${missing.join(', ')}`,
    );
  const marker = join(run, 'scale', 'reduce.done');
  if (existsSync(marker)) rmSync(marker);
  const before = numThreads();
  setNumThreads(plan.reduce.resources.cpus);
  try {
    const summary = await runner.reduce(plan, { run, outputs, log });
    writeFileAtomic(marker, [new Date().toISOString() + '\n']);
    return summary;
  } finally {
    setNumThreads(before);
  }
}
