// Units of work: the independent trainings a study declares (member i, variant v, sweep point p),
// each with its resource needs and its own folder inside the run folder. A unit is finished when
// its marker units/<id>/unit.json exists (written atomically, last); a unit that failed leaves
// units/<id>/failed.json instead. Executors only read and write these files, so any executor can
// pick up where another stopped (`--resume`).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { ArgumentError, IOError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';

export interface Resources {
  /** CPU threads the unit runs (Slurm --cpus-per-task; NNLAB_THREADS in the unit's process). */
  cpus: number;
  /** Memory in MB (Slurm --mem). */
  memMB: number;
  /** Wants a CUDA GPU (Slurm --gres=gpu:1). */
  gpu: boolean;
}

export interface UnitSpec {
  /** Lower-case letters, digits, '-' (a folder name and a Slurm log name). */
  id: string;
  /** What the unit trains (JSON): recorded in plan.json, read back by the unit's process. */
  input: Record<string, unknown>;
  resources: Resources;
  /**
   * Units whose outputs this one reads (a shared pretraining step, say): it runs only after they
   * finished, and receives their outputs. They come earlier in the plan, so plan order is a valid
   * order to run the graph in.
   */
  after?: string[];
}

/** What a finished unit recorded (units/<id>/unit.json). */
export interface UnitOutput {
  id: string;
  /** The unit's result, as the study's unit function returned it. */
  output: Record<string, unknown>;
  seconds: number;
  threads: number;
  finished_at: string;
}

export interface UnitFailure {
  id: string;
  error: string;
  log: string | null;
  failed_at: string;
}

const ID = /^[a-z0-9][a-z0-9-]*$/;

export function checkUnitId(id: string): void {
  if (!ID.test(id) || id === 'reduce')
    throw new ArgumentError(`unit id '${id}' must be lower-case letters, digits or '-' (and not 'reduce')`);
}

export function checkResources(r: Resources, what: string): void {
  if (!(Number.isInteger(r.cpus) && r.cpus >= 1)) throw new ArgumentError(`${what}: cpus must be a positive integer, got ${r.cpus}`);
  if (!(Number.isInteger(r.memMB) && r.memMB >= 1)) throw new ArgumentError(`${what}: memMB must be a positive integer, got ${r.memMB}`);
}

export function unitDir(run: string, id: string): string {
  return join(run, 'units', id);
}

export function unitLog(run: string, id: string): string {
  return join(run, 'scale', 'logs', `${id}.log`);
}

export function readUnitOutput(run: string, id: string): UnitOutput | null {
  const p = join(unitDir(run, id), 'unit.json');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as UnitOutput;
  } catch (e) {
    throw new IOError(`unit '${id}': cannot read ${p}: ${(e as Error).message}`);
  }
}

export function readUnitFailure(run: string, id: string): UnitFailure | null {
  const p = join(unitDir(run, id), 'failed.json');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as UnitFailure;
  } catch {
    // The shell of an sbatch script writes a minimal marker; a torn one still means failed.
    return { id, error: 'failed (marker unreadable)', log: unitLog(run, id), failed_at: '' };
  }
}

export function writeUnitOutput(run: string, o: UnitOutput): void {
  mkdirSync(unitDir(run, o.id), { recursive: true });
  rmSync(join(unitDir(run, o.id), 'failed.json'), { force: true });
  writeFileAtomic(join(unitDir(run, o.id), 'unit.json'), [JSON.stringify(o, null, 2) + '\n']);
}

export function writeUnitFailure(run: string, f: UnitFailure): void {
  writeFileAtomic(join(unitDir(run, f.id), 'failed.json'), [JSON.stringify(f, null, 2) + '\n']);
}

/** Forgets an earlier failure before a unit runs again. */
export function clearUnitFailure(run: string, id: string): void {
  rmSync(join(unitDir(run, id), 'failed.json'), { force: true });
}
