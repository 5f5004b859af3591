// The local executor: the graph's units in this process one after another (jobs = 1), or in up to
// `jobs` worker processes (`nnlab unit <run> <id>` each, its own NNLAB_THREADS), then the reduce
// step here. Either way a unit runs with its planned threads, so the numbers are the same.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

import type { Plan } from './graph.js';
import { unfinished } from './graph.js';
import { GraphRunner, reduceHere, runUnitHere, UnitFailedError } from './run-unit.js';
import { readUnitFailure, unitLog, UnitSpec } from './units.js';

export interface LocalOptions {
  /** Worker processes; 1 runs the units in this process. */
  jobs: number;
  /** How a worker process runs one unit: [executable, ...args before the run folder]. */
  unitCommand: string[];
  log: (s: string) => void;
}

export interface GraphResult {
  ok: boolean;
  /** The reduce step's summary when every unit finished. */
  summary?: Record<string, unknown>;
  failed: { id: string; error: string; log: string | null }[];
}

function workerRun(run: string, u: UnitSpec, o: LocalOptions): Promise<number> {
  const log = unitLog(run, u.id);
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'a');
  return new Promise((res) => {
    const [exe, ...pre] = o.unitCommand;
    const child = spawn(exe, [...pre, run, u.id], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, NNLAB_THREADS: String(u.resources.cpus) },
    });
    child.on('error', () => res(127));
    child.on('exit', (code, signal) => res(code ?? (signal ? 128 : 1)));
  }).finally(() => closeSync(fd)) as Promise<number>;
}

export async function runLocal(run: string, plan: Plan, runner: GraphRunner, o: LocalOptions): Promise<GraphResult> {
  const todo = unfinished(run, plan);
  const failed: GraphResult['failed'] = [];
  o.log(
    `local executor: ${todo.length} of ${plan.units.length} unit(s) to run${o.jobs > 1 ? ` in ${o.jobs} worker processes` : ' in this process'}`,
  );
  if (o.jobs <= 1) {
    for (const u of todo) {
      try {
        await runUnitHere(run, plan, u, runner, o.log, null);
      } catch (e) {
        if (!(e instanceof UnitFailedError)) throw e;
        failed.push({ id: u.id, error: e.message, log: null });
        o.log(e.message);
      }
    }
  } else {
    const queue = [...todo];
    const worker = async () => {
      for (let u = queue.shift(); u; u = queue.shift()) {
        o.log(`unit ${u.id}: started (log ${unitLog(run, u.id)})`);
        const code = await workerRun(run, u, o);
        if (code !== 0) {
          const f = readUnitFailure(run, u.id);
          failed.push({ id: u.id, error: f?.error ?? `exit code ${code}`, log: unitLog(run, u.id) });
          o.log(`unit ${u.id}: FAILED (exit ${code}); log ${unitLog(run, u.id)}`);
        } else o.log(`unit ${u.id}: done`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.jobs, todo.length) }, worker));
  }
  if (failed.length) return { ok: false, failed };
  return { ok: true, failed, summary: await reduceHere(run, plan, runner, o.log) };
}
