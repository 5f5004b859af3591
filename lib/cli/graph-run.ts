// `nnlab run` for a study that declares units (StudyEntry.graph): plans the graph into the run
// folder (scale/plan.json), then runs it on the chosen executor. `--resume` reads the plan back
// and runs (or submits) only the units without a finished marker.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { claimRunFolder } from '../report/run-lock.js';
import { timestamp } from '../report/run-folder.js';
import type { StudySummary } from '../report/run-folder.js';
import {
  formatStatus,
  GraphRunner,
  makePlan,
  Plan,
  readPlan,
  runLocal,
  runStatus,
  SlurmOptions,
  submitSlurm,
  unitsScriptPath,
  waitForRun,
  writePlan,
} from '../scale/index.js';
import { STUDIES } from '../studies/index.js';
import type { StudyEntry } from '../studies/index.js';
import type { BaseConfig } from '../studies/shared/common.js';
import { UsageError } from './args.js';
import type { FlagSpec, Parsed } from './args.js';

export interface GraphFlags {
  executor: 'local' | 'slurm';
  jobs: number;
  resume: boolean;
  dryRun: boolean;
  wait: boolean;
  slurm: SlurmOptions;
  unitCpus?: number;
  unitMemMB?: number;
}

/** How a worker process or a Slurm node runs `nnlab unit`: this node binary and this CLI script. */
export function nnlabCommand() {
  return { node: process.execPath, cli: resolve(process.argv[1]), cwd: process.cwd() };
}

export function graphRunner(entry: StudyEntry): GraphRunner {
  const g = entry.graph;
  if (!g) throw new UsageError(`study '${entry.id}' declares no units`);
  return {
    runUnit: (plan, unit, ctx) => g.runUnit(plan.config as unknown as BaseConfig, unit, ctx),
    reduce: async (plan, ctx) => (await g.reduce(plan.config as unknown as BaseConfig, ctx)) as unknown as Record<string, unknown>,
  };
}

function plan(entry: StudyEntry, cfg: BaseConfig & { cacheDir?: string }, f: GraphFlags): { run: string; plan: Plan } {
  const run = resolve(cfg.out ?? join('runs', entry.id, timestamp()));
  // The members cache is part of the plan: a node reads it from plan.json, not from its environment.
  const cacheDir = cfg.cacheDir ?? process.env.NNLAB_CACHE_DIR;
  const config = { ...cfg, out: run, ...(cacheDir !== undefined && { cacheDir: resolve(cacheDir) }) };
  const units = entry.graph!.units(config).map((u) => ({
    ...u,
    resources: { ...u.resources, ...(f.unitCpus && { cpus: f.unitCpus }), ...(f.unitMemMB && { memMB: f.unitMemMB }) },
  }));
  const reduce = { ...entry.graph!.reduceResources(config), ...(f.unitCpus && { cpus: f.unitCpus }) };
  return { run, plan: makePlan(entry.id, config as unknown as Record<string, unknown>, units, reduce) };
}

/** The functions that run a planned graph's units and reduce step, by the plan's kind. */
export async function runnerForPlan(p: Plan): Promise<GraphRunner> {
  if (p.study === 'sweep') return (await import('./sweep.js')).sweepRunner;
  if (p.study === 'reproduce') return (await import('./reproduce.js')).reproduceRunner;
  const study = STUDIES[p.study];
  if (!study?.graph) throw new UsageError(`the plan names '${p.study}', which declares no units`);
  return graphRunner(study);
}

/** Runs (or submits) the study's graph; resolves to the exit code and, when it finished here, the summary. */
export async function runGraph(
  entry: StudyEntry,
  cfg: BaseConfig,
  f: GraphFlags,
  log: (s: string) => void,
): Promise<{ code: number; summary?: StudySummary; run: string }> {
  let run: string, p: Plan;
  if (f.resume) {
    ({ run, plan: p } = resumePlan(entry.id, cfg.out));
  } else {
    ({ run, plan: p } = plan(entry, cfg, f));
    if (!f.dryRun) startFolder(run, p, cfg.force);
  }
  return executeGraph(run, p, graphRunner(entry), f, `nnlab run ${entry.id}`, log);
}

/** The plan of an earlier run in `out` (for --resume), checked to belong to `kind`. */
export function resumePlan(kind: string, out: string | undefined): { run: string; plan: Plan } {
  if (!out) throw new UsageError('--resume needs --out <the run folder>');
  const run = resolve(out);
  const p = readPlan(run);
  if (p.study !== kind) throw new UsageError(`--resume: ${run} is a '${p.study}' run, not '${kind}'`);
  return { run, plan: p };
}

/** Claims a new run folder (refusing one that holds another run unless force) and writes the plan into it. */
export function startFolder(run: string, p: Plan, force?: boolean): void {
  claimRunFolder(run, { force }).release();
  writePlan(run, p);
}

/** Runs a planned graph on the chosen executor. `again` is the command that started it (for the resume hint). */
export async function executeGraph(
  run: string,
  p: Plan,
  runner: GraphRunner,
  f: GraphFlags,
  again: string,
  log: (s: string) => void,
): Promise<{ code: number; summary?: StudySummary; run: string }> {
  if (f.executor === 'local') {
    if (f.dryRun) {
      for (const u of p.units)
        console.log(
          `unit ${u.id}: ${JSON.stringify(u.input)} (${u.resources.cpus} cpus, ${u.resources.memMB} MB)${u.after?.length ? ` after ${u.after.join(', ')}` : ''}`,
        );
      return { code: 0, run };
    }
    const r = await runLocal(run, p, runner, { jobs: f.jobs, unitCommand: [...Object.values(nnlabCommand()).slice(0, 2), 'unit'], log });
    if (!r.ok) {
      for (const x of r.failed) log(`FAILED unit ${x.id}: ${x.error}${x.log ? ` (log ${x.log})` : ''}`);
      log(`the reduce step did not run; fix the cause, then: ${again} --out ${run} --resume`);
      return { code: 1, run };
    }
    return { code: 0, summary: r.summary as unknown as StudySummary, run };
  }
  if (f.resume && !f.dryRun) {
    // Resubmitting a unit that is still queued or running would train it twice at once.
    const active = runStatus(run, p).units.filter((u) => u.state === 'running' || u.state === 'pending');
    if (active.length)
      throw new UsageError(
        `--resume: unit(s) ${active.map((u) => `${u.id} (${u.job} ${u.slurm})`).join(', ')} are still in Slurm's queue; wait for them (nnlab status ${run}) or scancel them first`,
      );
  }
  const s = submitSlurm(run, p, f.slurm, nnlabCommand(), f.dryRun, log);
  if (f.dryRun) {
    s.scripts.units.forEach((script, k) =>
      console.log(`# ---- ${unitsScriptPath(run, k)}${k > 0 ? ` (sbatch --dependency=afterok:<stage ${k} job>)` : ''}\n${script}`),
    );
    const after = s.scripts.units.map((_, k) => `<stage ${k + 1} job>`).join(':');
    console.log(
      `# ---- ${join(run, 'scale', 'reduce.sbatch')}${after ? ` (sbatch --dependency=afterok:${after})` : ''}\n${s.scripts.reduce}`,
    );
    return { code: 0, run };
  }
  if (!f.wait) {
    log(`follow it with: nnlab status ${run}`);
    return { code: 0, run };
  }
  const w = await waitForRun(run, p, log);
  if (!w.ok) {
    log(formatStatus(w.status));
    for (const u of w.status.units.filter((v) => v.state === 'failed' || v.state === 'lost'))
      log(`FAILED unit ${u.id}: ${u.error} (log ${u.log})`);
    if (w.status.reduce.state === 'failed') log(`the reduce step failed (log ${w.status.reduce.log})`);
    else log(`the reduce step did not run; then: ${again} --out ${run} --resume --executor slurm`);
    return { code: 1, run };
  }
  const summaryPath = join(run, 'summary.json');
  const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as StudySummary) : undefined;
  return { code: 0, summary, run };
}

/** The flags every command that runs a graph takes (run, sweep, reproduce). */
export const GRAPH_FLAGS: FlagSpec = {
  executor: { type: 'string', choices: ['local', 'slurm'] },
  jobs: { type: 'int', min: 1 },
  resume: { type: 'bool' },
  'dry-run': { type: 'bool' },
  wait: { type: 'bool' },
  'unit-cpus': { type: 'int', min: 1 },
  'unit-mem': { type: 'int', min: 1 },
  partition: { type: 'string' },
  account: { type: 'string' },
  time: { type: 'string' },
  'slurm-opt': { type: 'string', multiple: true },
};

export const GRAPH_USAGE = `[--executor local|slurm] [--jobs N] [--resume] [--dry-run] [--wait]
          [--unit-cpus N] [--unit-mem MB] [--partition P] [--account A] [--time T] [--slurm-opt=--qos=x ...]`;

/** GraphFlags from parsed flags, refusing Slurm-only flags without --executor slurm. */
export function graphFlagsFrom(f: Parsed['flags']): GraphFlags {
  const slurmOnly = ['wait', 'partition', 'account', 'time', 'slurm-opt'].filter((k) => f[k] !== undefined);
  if (f.executor !== 'slurm' && slurmOnly.length) throw new UsageError(`--${slurmOnly[0]} needs --executor slurm`);
  if (f.executor === 'slurm' && f.jobs !== undefined)
    throw new UsageError('--jobs is for --executor local (Slurm runs the units as a job array)');
  return {
    executor: (f.executor as 'local' | 'slurm' | undefined) ?? 'local',
    jobs: (f.jobs as number | undefined) ?? 1,
    resume: f.resume === true,
    dryRun: f['dry-run'] === true,
    wait: f.wait === true,
    unitCpus: f['unit-cpus'] as number | undefined,
    unitMemMB: f['unit-mem'] as number | undefined,
    slurm: {
      partition: f.partition as string | undefined,
      account: f.account as string | undefined,
      time: f.time as string | undefined,
      extra: (f['slurm-opt'] as string[] | undefined) ?? [],
    },
  };
}
