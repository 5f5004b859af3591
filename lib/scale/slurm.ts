// The Slurm executor: writes the sbatch scripts into <run>/scale/, submits the unfinished units
// as one job array per dependency stage (each afterok the one before), the reduce step after them
// all (afterok), and records the job ids in
// scale/jobs.json. State comes from scontrol (finished jobs stay visible for MinJobAge) and from
// the run folder's markers, so no accounting database (sacct/slurmdbd) is needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { IOError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Plan } from './graph.js';
import { stages, unfinished } from './graph.js';
import { NnlabCommand, reduceScript, SlurmOptions, unitsScript } from './sbatch.js';

/** One job array of a submission: the plan indices it runs. */
export interface SubmittedArray {
  job: string;
  indices: number[];
}

export interface Submission {
  /** One array per dependency stage, in submission order (each after the one before). */
  arrays: SubmittedArray[];
  reduce_job: string;
  submitted_at: string;
}

export interface SlurmSubmitResult {
  /** One script per stage (none when every unit finished), and the reduce step's. */
  scripts: { units: string[]; reduce: string };
  submission: Submission | null;
}

function jobsPath(run: string): string {
  return join(run, 'scale', 'jobs.json');
}

/** The submissions of a run, oldest first (a run folder from before stages recorded one array as units_job/indices). */
export function readSubmissions(run: string): Submission[] {
  const p = jobsPath(run);
  if (!existsSync(p)) return [];
  const subs = JSON.parse(readFileSync(p, 'utf8')) as (Submission & { units_job?: string | null; indices?: number[] })[];
  return subs.map((s) => ({
    arrays: s.arrays ?? (s.units_job ? [{ job: s.units_job, indices: s.indices ?? [] }] : []),
    reduce_job: s.reduce_job,
    submitted_at: s.submitted_at,
  }));
}

/** The file of stage k's array script. */
export function unitsScriptPath(run: string, stage: number): string {
  return join(run, 'scale', stage === 0 ? 'units.sbatch' : `units-${stage + 1}.sbatch`);
}

/** Runs a Slurm command; a missing command or a refusal is an error naming it. */
export function slurmCmd(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error)
    throw new IOError(
      `${cmd} could not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): is Slurm installed on this machine?`,
    );
  if (r.status !== 0) throw new IOError(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Writes the scripts; submits them unless `dryRun`. Only unfinished units are submitted (`--resume` is this, again). */
export function submitSlurm(
  run: string,
  plan: Plan,
  o: SlurmOptions,
  cmd: NnlabCommand,
  dryRun: boolean,
  log: (s: string) => void,
): SlurmSubmitResult {
  const todo = stages(unfinished(run, plan)).map((st) => st.map((u) => plan.units.indexOf(u)));
  const units = todo.map((indices, k) => unitsScript(run, plan, indices, o, cmd, k));
  const reduce = reduceScript(run, plan, o, cmd);
  if (dryRun) return { scripts: { units, reduce }, submission: null };
  const reduceFile = join(run, 'scale', 'reduce.sbatch');
  // Slurm opens --output before the script runs: a missing folder fails the task with no log at all.
  mkdirSync(join(run, 'scale', 'logs'), { recursive: true });
  units.forEach((u, k) => writeFileAtomic(unitsScriptPath(run, k), [u]));
  writeFileAtomic(reduceFile, [reduce]);
  // A reduce job (or a later stage) still waiting on an earlier array (one whose unit was cancelled) would never run: replace it.
  for (const s of readSubmissions(run)) {
    for (const job of [...s.arrays.slice(1).map((x) => x.job), s.reduce_job]) {
      try {
        slurmCmd('scancel', [job]);
      } catch {
        /* already gone */
      }
    }
  }
  const arrays: SubmittedArray[] = [];
  todo.forEach((indices, k) => {
    const prev = arrays[k - 1]?.job;
    const file = unitsScriptPath(run, k);
    const job = slurmCmd('sbatch', ['--parsable', ...(prev ? [`--dependency=afterok:${prev}`] : []), file])
      .trim()
      .split(';')[0];
    arrays.push({ job, indices });
    log(`slurm: submitted ${indices.length} unit(s) as job array ${job}${prev ? ` (after ${prev} succeeds)` : ''} (${file})`);
  });
  const after = arrays.map((x) => x.job);
  const reduceJob = slurmCmd('sbatch', ['--parsable', ...(after.length ? [`--dependency=afterok:${after.join(':')}`] : []), reduceFile])
    .trim()
    .split(';')[0];
  log(`slurm: submitted the reduce step as job ${reduceJob}${after.length ? ` (after ${after.join(', ')} succeed)` : ''}`);
  const submission: Submission = { arrays, reduce_job: reduceJob, submitted_at: new Date().toISOString() };
  writeFileAtomic(jobsPath(run), [JSON.stringify([...readSubmissions(run), submission], null, 2) + '\n']);
  return { scripts: { units, reduce }, submission };
}

/** '0-2,5%2' -> [0, 1, 2, 5]. */
export function expandTaskIds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split('%')[0].split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) continue;
    for (let i = a; i <= (Number.isInteger(b) ? b : a); i++) out.push(i);
  }
  return out;
}

export interface JobStates {
  /** Array task index -> Slurm state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED...). */
  tasks: Map<number, string>;
  /** Reason of a non-array job / the first record (e.g. Dependency). */
  state: string | null;
  reason: string | null;
}

/** The states of a job (or each task of an array) from `scontrol -o show job`; null when Slurm no longer knows it. */
export function jobStates(jobId: string): JobStates | null {
  const r = spawnSync('scontrol', ['-o', 'show', 'job', jobId], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) return null;
  const out: JobStates = { tasks: new Map(), state: null, reason: null };
  for (const line of r.stdout.split('\n')) {
    const state = /\bJobState=(\S+)/.exec(line)?.[1];
    if (!state) continue;
    out.state ??= state;
    out.reason ??= /\bReason=(\S+)/.exec(line)?.[1] ?? null;
    const task = /\bArrayTaskId=(\S+)/.exec(line)?.[1];
    if (task) for (const i of expandTaskIds(task)) out.tasks.set(i, state);
  }
  return out;
}

export const TERMINAL_BAD = ['FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'BOOT_FAIL', 'DEADLINE'];
