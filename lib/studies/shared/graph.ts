// What a study that trains several independent models declares to run as a graph of units
// (lib/scale): its units, each unit's training, and the reduce step that reads their outputs and
// writes the figures and the report.
import { availableParallelism } from 'node:os';

import type { Resources, UnitOutput, UnitSpec } from '../../scale/index.js';
import type { StudySummary } from '../../report/run-folder.js';
import type { BaseConfig } from './common.js';

export interface UnitContext {
  /** The run folder. */
  run: string;
  /** The unit's own folder (units/<id>). */
  dir: string;
  /** The outputs of the units this one runs after (UnitSpec.after), by their ids. */
  after: Map<string, UnitOutput>;
  log: (s: string) => void;
}

export interface StudyGraph<C extends BaseConfig = BaseConfig> {
  /** The units of this configuration, in the order one process runs them. */
  units(cfg: C): UnitSpec[];
  reduceResources(cfg: C): Resources;
  /** Trains one unit into ctx.dir (resuming from its checkpoint there); returns what the reduce step needs. */
  runUnit(cfg: C, unit: UnitSpec, ctx: UnitContext): Promise<Record<string, unknown>>;
  reduce(cfg: C, ctx: { run: string; outputs: Map<string, UnitOutput>; log: (s: string) => void }): Promise<StudySummary>;
}

/** Threads per unit unless the command line says otherwise: a few for quick presets, more for full ones, never more than this machine has. */
export function defaultCpus(preset: 'quick' | 'full'): number {
  return Math.max(1, Math.min(preset === 'quick' ? 2 : 8, availableParallelism()));
}
