// The Slurm executor: writes the sbatch scripts into <run>/scale/, submits the unfinished units
// as one job array and the reduce step after it (afterok), and records the job ids in
// scale/jobs.json. State comes from scontrol (finished jobs stay visible for MinJobAge) and from
// the run folder's markers, so no accounting database (sacct/slurmdbd) is needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { IOError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import type { Plan } from './graph.js';
import { unfinished } from './graph.js';
import { NnlabCommand, reduceScript, SlurmOptions, unitsScript } from './sbatch.js';

export interface Submission {
  units_job: string | null;
  /** Plan indices submitted in that array. */
  indices: number[];
  reduce_job: string;
  submitted_at: string;
}

export interface SlurmSubmitResult {
  scripts: { units: string | null; reduce: string };
  submission: Submission | null;
}

function jobsPath(run: string): string {
  return join(run, 'scale', 'jobs.json');
}

export function readSubmissions(run: string): Submission[] {
  const p = jobsPath(run);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Submission[]) : [];
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
  const todo = unfinished(run, plan);
  const indices = todo.map((u) => plan.units.indexOf(u));
  const units = indices.length ? unitsScript(run, plan, indices, o, cmd) : null;
  const reduce = reduceScript(run, plan, o, cmd);
  if (dryRun) return { scripts: { units, reduce }, submission: null };
  const unitsFile = join(run, 'scale', 'units.sbatch');
  const reduceFile = join(run, 'scale', 'reduce.sbatch');
  // Slurm opens --output before the script runs: a missing folder fails the task with no log at all.
  mkdirSync(join(run, 'scale', 'logs'), { recursive: true });
  if (units) writeFileAtomic(unitsFile, [units]);
  writeFileAtomic(reduceFile, [reduce]);
  // A reduce job still waiting on an earlier array (one whose unit was cancelled) would never run: replace it.
  for (const s of readSubmissions(run)) {
    try {
      slurmCmd('scancel', [s.reduce_job]);
    } catch {
      /* already gone */
    }
  }
  const unitsJob = units ? slurmCmd('sbatch', ['--parsable', unitsFile]).trim().split(';')[0] : null;
  if (unitsJob) log(`slurm: submitted ${indices.length} unit(s) as job array ${unitsJob} (${unitsFile})`);
  const reduceJob = slurmCmd('sbatch', ['--parsable', ...(unitsJob ? [`--dependency=afterok:${unitsJob}`] : []), reduceFile])
    .trim()
    .split(';')[0];
  log(`slurm: submitted the reduce step as job ${reduceJob}${unitsJob ? ` (after ${unitsJob} succeeds)` : ''}`);
  const submission: Submission = { units_job: unitsJob, indices, reduce_job: reduceJob, submitted_at: new Date().toISOString() };
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
