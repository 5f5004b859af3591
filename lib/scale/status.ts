// Per-unit state of a run: the folder's markers first (done / failed are facts on the shared
// file system), then Slurm's view of the latest job that ran the unit. `nnlab status` prints it;
// the Slurm executor's --wait polls it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import type { Plan } from './graph.js';
import { reduceDone } from './graph.js';
import { jobStates, JobStates, readSubmissions, TERMINAL_BAD } from './slurm.js';
import { readUnitFailure, readUnitOutput, unitLog } from './units.js';

/** blocked: a unit it runs after (UnitSpec.after) failed, so it never will run in this submission. */
export type UnitState = 'done' | 'failed' | 'running' | 'pending' | 'not submitted' | 'lost' | 'blocked';

export interface UnitStatus {
  id: string;
  state: UnitState;
  /** Slurm's state and job id (jobid_index) when the unit was submitted there. */
  slurm: string | null;
  job: string | null;
  seconds: number | null;
  log: string;
  error: string | null;
}

export interface RunStatus {
  units: UnitStatus[];
  /** blocked: a unit failed, so the reduce step will not run (Slurm drops its job: --kill-on-invalid-dep). */
  reduce: {
    state: 'done' | 'failed' | 'waiting' | 'blocked' | 'running' | 'not submitted';
    job: string | null;
    slurm: string | null;
    log: string;
  };
}

export function runStatus(run: string, plan: Plan, querySlurm = true): RunStatus {
  const subs = readSubmissions(run);
  const cache = new Map<string, JobStates | null>();
  const states = (job: string) => {
    if (!cache.has(job)) cache.set(job, querySlurm ? jobStates(job) : null);
    return cache.get(job)!;
  };
  const byId = new Map<string, UnitStatus>();
  const one = (u: Plan['units'][number], i: number): UnitStatus => {
    const array = [...subs]
      .reverse()
      .flatMap((s) => s.arrays)
      .find((a) => a.indices.includes(i));
    const job = array ? `${array.job}_${i}` : null;
    const slurm = array ? (states(array.job)?.tasks.get(i) ?? null) : null;
    const base = { id: u.id, slurm, job, log: unitLog(run, u.id), seconds: null, error: null };
    const out = readUnitOutput(run, u.id);
    if (out) return { ...base, state: 'done', seconds: out.seconds };
    const dep = (u.after ?? []).find((d) => ['failed', 'lost', 'blocked'].includes(byId.get(d)?.state ?? ''));
    if (dep !== undefined && !(slurm && ['RUNNING', 'COMPLETING'].includes(slurm)))
      return {
        ...base,
        state: 'blocked',
        error: `it runs after unit '${dep}', which ${byId.get(dep)!.state === 'blocked' ? 'cannot run' : 'failed'}`,
      };
    const f = readUnitFailure(run, u.id);
    if (f && !(slurm && ['RUNNING', 'PENDING', 'REQUEUED'].includes(slurm)))
      return { ...base, state: 'failed', error: f.error, log: f.log ?? base.log };
    if (!array) return { ...base, state: 'not submitted' };
    if (slurm === 'RUNNING' || slurm === 'COMPLETING') return { ...base, state: 'running' };
    if (slurm === 'PENDING' || slurm === 'REQUEUED' || slurm === 'CONFIGURING' || slurm === 'SUSPENDED')
      return { ...base, state: 'pending' };
    if (slurm && TERMINAL_BAD.includes(slurm)) return { ...base, state: 'failed', error: `Slurm state ${slurm}` };
    // Completed without a marker, or purged from Slurm's memory without one: it did not finish.
    return {
      ...base,
      state: 'lost',
      error: slurm ? `Slurm state ${slurm} but no units/${u.id}/unit.json` : 'Slurm no longer knows the job',
    };
  };
  const units = plan.units.map((u, i) => {
    const st = one(u, i);
    byId.set(u.id, st);
    return st;
  });
  const last = subs[subs.length - 1];
  const reduceLog = join(run, 'scale', 'logs', 'reduce.log');
  let reduce: RunStatus['reduce'];
  if (reduceDone(run)) reduce = { state: 'done', job: last?.reduce_job ?? null, slurm: null, log: reduceLog };
  else if (!last) reduce = { state: 'not submitted', job: null, slurm: null, log: reduceLog };
  else {
    const s = states(last.reduce_job);
    const st = s?.state ?? null;
    const state =
      st === 'RUNNING' || st === 'COMPLETING' || st === 'CONFIGURING'
        ? 'running'
        : st === 'PENDING'
          ? 'waiting'
          : st === null && !existsSync(reduceLog)
            ? 'waiting'
            : st === 'CANCELLED' && !existsSync(reduceLog)
              ? 'blocked'
              : // COMPLETED without reduce.done can only be the moment before the marker is visible; anything else failed.
                st === 'COMPLETED' && reduceDone(run)
                ? 'running'
                : 'failed';
    reduce = {
      state,
      job: last.reduce_job,
      slurm: st ? `${st}${s?.reason && s.reason !== 'None' ? ` (${s.reason})` : ''}` : null,
      log: reduceLog,
    };
  }
  const active = units.some((u) => u.state === 'running' || u.state === 'pending');
  if (reduce.state === 'waiting' && !active && units.some((u) => u.state === 'failed' || u.state === 'lost')) reduce.state = 'blocked';
  return { units, reduce };
}

/** Text table of a status, one line per unit and one for the reduce step. */
export function formatStatus(s: RunStatus): string {
  const rows = [
    ['unit', 'state', 'slurm', 'job', 'seconds', 'log / error'],
    ...s.units.map((u) => [
      u.id,
      u.state,
      u.slurm ?? '-',
      u.job ?? '-',
      u.seconds === null ? '-' : u.seconds.toFixed(1),
      u.state === 'failed' || u.state === 'lost' ? `${u.error} (log ${u.log})` : u.state === 'blocked' ? u.error! : u.log,
    ]),
    ['reduce', s.reduce.state, s.reduce.slurm ?? '-', s.reduce.job ?? '-', '-', s.reduce.log],
  ];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(w[c]))).join('  ')).join('\n');
}

/** Polls until the reduce step finished (ok) or nothing more can happen (a unit failed, or the reduce failed). */
export async function waitForRun(
  run: string,
  plan: Plan,
  log: (s: string) => void,
  pollMs = 2000,
): Promise<{ ok: boolean; status: RunStatus }> {
  let lastLine = '';
  for (;;) {
    const s = runStatus(run, plan);
    if (s.reduce.state === 'done') return { ok: true, status: s };
    const counts = new Map<string, number>();
    for (const u of s.units) counts.set(u.state, (counts.get(u.state) ?? 0) + 1);
    const line = [...counts].map(([k, v]) => `${v} ${k}`).join(', ') + `; reduce ${s.reduce.state}`;
    if (line !== lastLine) log(`slurm: ${line}`);
    lastLine = line;
    const active = s.units.some((u) => u.state === 'running' || u.state === 'pending');
    const bad = s.units.some((u) => u.state === 'failed' || u.state === 'lost');
    if (bad && !active) return { ok: false, status: s };
    if (s.reduce.state === 'failed' && !active) return { ok: false, status: s };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
