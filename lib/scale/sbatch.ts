// The sbatch scripts of a run: one job array per dependency stage of the units (task i = plan unit
// i; only the unfinished indices are submitted; stage k+1 starts after stage k succeeded), one job
// for the reduce step. Pure text: `--dry-run` prints
// exactly what would be submitted.
import { join } from 'node:path';

import { ArgumentError } from '../core/errors.js';
import type { Plan } from './graph.js';
import type { Resources, UnitSpec } from './units.js';

export interface SlurmOptions {
  partition?: string;
  account?: string;
  /** Time limit per unit, Slurm syntax (e.g. 2:00:00). */
  time?: string;
  /** Extra #SBATCH lines, as given (with or without '#SBATCH'). */
  extra: string[];
  /** Run at most this many array tasks at once (--array=...%N). */
  maxParallel?: number;
}

/** How a node runs nnlab: the node binary and the CLI script (the run folder's file system and this install must be shared). */
export interface NnlabCommand {
  node: string;
  cli: string;
  cwd: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The largest need of the units: a job array has one resource request for all its tasks. */
export function arrayResources(units: UnitSpec[]): Resources {
  return {
    cpus: Math.max(...units.map((u) => u.resources.cpus)),
    memMB: Math.max(...units.map((u) => u.resources.memMB)),
    gpu: units.some((u) => u.resources.gpu),
  };
}

/** '0-2,5' style list of array indices. */
export function arraySpec(indices: number[]): string {
  const s = [...indices].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function header(name: string, r: Resources, o: SlurmOptions, output: string, cwd: string): string[] {
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${name}`,
    `#SBATCH --cpus-per-task=${r.cpus}`,
    `#SBATCH --mem=${r.memMB}M`,
    `#SBATCH --output=${output}`,
    `#SBATCH --chdir=${cwd}`,
    '#SBATCH --ntasks=1',
    '#SBATCH --nodes=1',
  ];
  if (r.gpu) lines.push('#SBATCH --gres=gpu:1');
  if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
  if (o.account) lines.push(`#SBATCH --account=${o.account}`);
  if (o.time) lines.push(`#SBATCH --time=${o.time}`);
  for (const e of o.extra) {
    // '--qos=short', 'qos=short' and '#SBATCH --qos=short' all mean the same line.
    let t = e.trim().replace(/^#SBATCH\s+/, '');
    if (!t.startsWith('-')) t = `--${t}`;
    if (/[\n\r]/.test(t) || !/^--?[A-Za-z]/.test(t))
      throw new ArgumentError(`--slurm-opt '${e}' must be one sbatch option such as --qos=short`);
    lines.push(`#SBATCH ${t}`);
  }
  return lines;
}

/**
 * The units' array script; `indices` are the plan positions to run. `stage` > 0: the array is
 * submitted with --dependency=afterok:<the previous stage's array> (its units read those outputs).
 */
export function unitsScript(run: string, plan: Plan, indices: number[], o: SlurmOptions, cmd: NnlabCommand, stage = 0): string {
  if (indices.length === 0) throw new ArgumentError('unitsScript: no units to submit');
  const units = indices.map((i) => plan.units[i]);
  const r = arrayResources(units);
  const logs = join(run, 'scale', 'logs');
  const lines = header(`nnlab-${plan.study}`, r, o, join(logs, 'slurm-%A_%a.out'), cmd.cwd);
  lines.push(`#SBATCH --array=${arraySpec(indices)}${o.maxParallel ? `%${o.maxParallel}` : ''}`);
  // Preempted or failed nodes: Slurm puts the task back in the queue; the unit resumes from its checkpoint.
  lines.push('#SBATCH --requeue');
  // A failed or cancelled unit of an earlier stage makes afterok impossible: Slurm then drops this array.
  if (stage > 0) lines.push('#SBATCH --kill-on-invalid-dep=yes');
  lines.push(
    '',
    `# nnlab ${plan.study}: ${plan.units.length} unit(s); array task i trains plan unit i (scale/plan.json).`,
    ...(stage > 0 ? [`# Stage ${stage + 1}: these units read outputs of stage ${stage} (submitted after it, afterok).`] : []),
    'set -u',
    `RUN=${q(run)}`,
    `IDS=(${plan.units.map((u) => q(u.id)).join(' ')})`,
    'ID=${IDS[$SLURM_ARRAY_TASK_ID]}',
    // Threads = the unit's planned cpus, whatever the node has: results do not depend on the executor.
    `export NNLAB_THREADS=${r.cpus}`,
    'LOG="$RUN/scale/logs/$ID.log"',
    'mkdir -p "$RUN/scale/logs" "$RUN/units/$ID"',
    'echo "== $(date -u +%FT%TZ) job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname), restart ${SLURM_RESTART_COUNT:-0}" >>"$LOG"',
    `${q(cmd.node)} ${q(cmd.cli)} unit "$RUN" "$ID" >>"$LOG" 2>&1`,
    'code=$?',
    // A crash (signal, abort) never reaches nnlab's own failure marker: write it here.
    'if [ $code -ne 0 ] && [ ! -f "$RUN/units/$ID/failed.json" ]; then',
    '  printf \'{"id":"%s","error":"exit code %d","log":"%s","failed_at":"%s"}\\n\' "$ID" $code "$LOG" "$(date -u +%FT%TZ)" >"$RUN/units/$ID/failed.json"',
    'fi',
    'exit $code',
    '',
  );
  return lines.join('\n');
}

/** The reduce step's script (submitted with --dependency=afterok:<array job>). */
export function reduceScript(run: string, plan: Plan, o: SlurmOptions, cmd: NnlabCommand): string {
  const r = plan.reduce.resources;
  const lines = header(`nnlab-${plan.study}-reduce`, r, o, join(run, 'scale', 'logs', 'slurm-reduce-%j.out'), cmd.cwd);
  // A unit that failed or was cancelled makes afterok impossible: Slurm then drops this job.
  lines.push('#SBATCH --kill-on-invalid-dep=yes');
  lines.push(
    '',
    `# nnlab ${plan.study}: the reduce step (figures, tables, report.html) over the units' outputs.`,
    'set -u',
    `RUN=${q(run)}`,
    `export NNLAB_THREADS=${r.cpus}`,
    'mkdir -p "$RUN/scale/logs"',
    `exec ${q(cmd.node)} ${q(cmd.cli)} unit "$RUN" --reduce >>"$RUN/scale/logs/reduce.log" 2>&1`,
    '',
  );
  return lines.join('\n');
}
