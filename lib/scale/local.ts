// The local executor: the graph's units in this process one after another in plan order (jobs =
// 1), or stage by stage (graph.ts stages) in up to `jobs` worker processes (`nnlab unit <run> <id>`
// each, its own NNLAB_THREADS), then the reduce step here. Either way a unit runs with its planned
// threads, so the numbers are the same. A unit whose `after` unit failed does not run.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

import type { Plan } from './graph.js';
import { stages, unfinished } from './graph.js';
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
  const failedIds = new Set<string>();
  // A unit after a failed one is reported, not run: its input is missing.
  const blocked = (u: UnitSpec) => {
    const d = (u.after ?? []).find((x) => failedIds.has(x));
    if (d === undefined) return false;
    failedIds.add(u.id);
    failed.push({ id: u.id, error: `not run: it runs after unit '${d}', which failed`, log: null });
    o.log(`unit ${u.id}: not run (unit ${d} failed)`);
    return true;
  };
  const fail = (f: GraphResult['failed'][number]) => {
    failed.push(f);
    failedIds.add(f.id);
  };
  if (o.jobs <= 1) {
    for (const u of todo) {
      if (blocked(u)) continue;
      try {
        await runUnitHere(run, plan, u, runner, o.log, null);
      } catch (e) {
        if (!(e instanceof UnitFailedError)) throw e;
        fail({ id: u.id, error: e.message, log: null });
        o.log(e.message);
      }
    }
  } else {
    for (const stage of stages(todo)) {
      const queue = stage.filter((u) => !blocked(u));
      const worker = async () => {
        for (let u = queue.shift(); u; u = queue.shift()) {
          o.log(`unit ${u.id}: started (log ${unitLog(run, u.id)})`);
          const code = await workerRun(run, u, o);
          if (code !== 0) {
            const f = readUnitFailure(run, u.id);
            fail({ id: u.id, error: f?.error ?? `exit code ${code}`, log: unitLog(run, u.id) });
            o.log(`unit ${u.id}: FAILED (exit ${code}); log ${unitLog(run, u.id)}`);
          } else o.log(`unit ${u.id}: done`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.jobs, queue.length) }, worker));
    }
  }
  if (failed.length) return { ok: false, failed };
  return { ok: true, failed, summary: await reduceHere(run, plan, runner, o.log) };
}
