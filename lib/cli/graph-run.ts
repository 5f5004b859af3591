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
  SlurmOptions,
  submitSlurm,
  waitForRun,
  writePlan,
} from '../scale/index.js';
import type { StudyEntry } from '../studies/index.js';
import type { BaseConfig } from '../studies/shared/common.js';
import { UsageError } from './args.js';

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

/** Runs (or submits) the study's graph; resolves to the exit code and, when it finished here, the summary. */
export async function runGraph(
  entry: StudyEntry,
  cfg: BaseConfig,
  f: GraphFlags,
  log: (s: string) => void,
): Promise<{ code: number; summary?: StudySummary; run: string }> {
  let run: string, p: Plan;
  if (f.resume) {
    if (!cfg.out) throw new UsageError('--resume needs --out <the run folder>');
    run = resolve(cfg.out);
    p = readPlan(run);
    if (p.study !== entry.id) throw new UsageError(`--resume: ${run} is a '${p.study}' run, not '${entry.id}'`);
  } else {
    ({ run, plan: p } = plan(entry, cfg, f));
    if (!f.dryRun) {
      claimRunFolder(run, { force: cfg.force }).release();
      writePlan(run, p);
    }
  }
  if (f.executor === 'local') {
    if (f.dryRun) {
      for (const u of p.units) console.log(`unit ${u.id}: ${JSON.stringify(u.input)} (${u.resources.cpus} cpus, ${u.resources.memMB} MB)`);
      return { code: 0, run };
    }
    const r = await runLocal(run, p, graphRunner(entry), { jobs: f.jobs, unitCommand: [...Object.values(nnlabCommand()).slice(0, 2), 'unit'], log });
    if (!r.ok) {
      for (const x of r.failed) log(`FAILED unit ${x.id}: ${x.error}${x.log ? ` (log ${x.log})` : ''}`);
      log(`the reduce step did not run; fix the cause, then: nnlab run ${entry.id} --out ${run} --resume`);
      return { code: 1, run };
    }
    return { code: 0, summary: r.summary as unknown as StudySummary, run };
  }
  const s = submitSlurm(run, p, f.slurm, nnlabCommand(), f.dryRun, log);
  if (f.dryRun) {
    if (s.scripts.units) console.log(`# ---- ${join(run, 'scale', 'units.sbatch')}\n${s.scripts.units}`);
    console.log(`# ---- ${join(run, 'scale', 'reduce.sbatch')} (sbatch --dependency=afterok:<units job>)\n${s.scripts.reduce}`);
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
    else log(`the reduce step did not run; then: nnlab run ${entry.id} --out ${run} --resume --executor slurm`);
    return { code: 1, run };
  }
  const summaryPath = join(run, 'summary.json');
  const summary = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as StudySummary) : undefined;
  return { code: 0, summary, run };
}
