// The graph of one run: the study's units (independent unless a unit names others in `after`) and
// its reduce step (after all of them), written to <run>/scale/plan.json so that a unit's process on another node, started
// by Slurm or by a local worker, reads exactly what the planning process decided.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { ArgumentError, IOError } from '../core/errors.js';
import { writeFileAtomic } from '../io/atomic.js';
import { checkResources, checkUnitId, readUnitOutput, Resources, UnitSpec } from './units.js';

export interface Plan {
  version: 1;
  /** The study (or 'sweep') whose unit and reduce functions run this graph. */
  study: string;
  /** The study's whole configuration (preset plus overrides), the run folder included. */
  config: Record<string, unknown>;
  units: UnitSpec[];
  reduce: { resources: Resources };
  created_at: string;
}

export function planPath(run: string): string {
  return join(run, 'scale', 'plan.json');
}

export function makePlan(study: string, config: Record<string, unknown>, units: UnitSpec[], reduce: Resources): Plan {
  if (units.length === 0) throw new ArgumentError(`${study}: a graph needs at least one unit`);
  const seen = new Set<string>();
  for (const u of units) {
    checkUnitId(u.id);
    if (seen.has(u.id)) throw new ArgumentError(`${study}: unit id '${u.id}' appears twice`);
    for (const d of u.after ?? [])
      if (!seen.has(d))
        throw new ArgumentError(
          `${study}: unit '${u.id}' runs after '${d}', which is ${units.some((v) => v.id === d) ? 'not earlier in the plan' : 'not a unit of it'}`,
        );
    seen.add(u.id);
    checkResources(u.resources, `${study} unit ${u.id}`);
  }
  checkResources(reduce, `${study} reduce`);
  return { version: 1, study, config, units, reduce: { resources: reduce }, created_at: new Date().toISOString() };
}

export function writePlan(run: string, plan: Plan): void {
  writeFileAtomic(planPath(run), [JSON.stringify(plan, null, 2) + '\n']);
}

export function readPlan(run: string): Plan {
  const p = planPath(resolve(run));
  if (!existsSync(p))
    throw new IOError(`${run} holds no scale/plan.json: not a run folder planned by 'nnlab run' (or it was started without units)`);
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(p, 'utf8')) as Plan;
  } catch (e) {
    throw new IOError(`cannot read ${p}: ${(e as Error).message}`);
  }
  if (plan.version !== 1 || !Array.isArray(plan.units)) throw new IOError(`${p}: not an nnlab plan (version ${String(plan.version)})`);
  return plan;
}

export function findUnit(plan: Plan, id: string): UnitSpec {
  const u = plan.units.find((v) => v.id === id);
  if (!u) throw new ArgumentError(`unit '${id}' is not in this run's plan (units: ${plan.units.map((v) => v.id).join(', ')})`);
  return u;
}

/** The units without a finished marker, in plan order. */
export function unfinished(run: string, plan: Plan): UnitSpec[] {
  return plan.units.filter((u) => readUnitOutput(run, u.id) === null);
}

/**
 * The units in dependency stages: stage 0 needs nothing among `units`, stage k needs something of
 * stage k-1 (an `after` unit that is not in `units` counts as finished). Each stage is one Slurm
 * job array, started after the one before it succeeded; a local executor runs them in this order.
 */
export function stages(units: UnitSpec[]): UnitSpec[][] {
  const level = new Map<string, number>();
  for (const u of units) level.set(u.id, Math.max(-1, ...(u.after ?? []).map((d) => level.get(d) ?? -1)) + 1);
  const out: UnitSpec[][] = [];
  for (const u of units) (out[level.get(u.id)!] ??= []).push(u);
  return out;
}

/** Whether the reduce step finished (the study's summary.json and the reduce marker). */
export function reduceDone(run: string): boolean {
  return existsSync(join(run, 'scale', 'reduce.done'));
}
