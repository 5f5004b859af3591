// Workloads by id: the standard ones, and a user model when the spec names one.
import { ArgumentError } from '../../core/errors.js';
import { STANDARD_WORKLOADS } from './standard.js';
import type { Workload } from './types.js';
import { type UserModelSpec, userModelWorkload } from './user-model.js';

export { STANDARD_WORKLOADS } from './standard.js';
export type { Workload, Prepared } from './types.js';
export { parseShape, type UserModelSpec } from './user-model.js';
export type { Mode, LossSpec } from './model-step.js';

/** The standard workloads whose id contains one of `only` (all when only is empty). */
export function selectStandard(only: readonly string[] | null | undefined): Workload[] {
  if (!only?.length) return [...STANDARD_WORKLOADS];
  const unknown = only.filter((o) => !STANDARD_WORKLOADS.some((w) => w.id.includes(o)));
  if (unknown.length)
    throw new ArgumentError(`bench: no workload matches ${unknown.map((u) => `'${u}'`).join(', ')} (workloads: ${STANDARD_WORKLOADS.map((w) => w.id).join(', ')})`);
  return STANDARD_WORKLOADS.filter((w) => only.some((o) => w.id.includes(o)));
}

export async function findWorkload(id: string, model?: UserModelSpec): Promise<Workload> {
  if (model) return userModelWorkload(model);
  const w = STANDARD_WORKLOADS.find((x) => x.id === id);
  if (!w) throw new ArgumentError(`bench: unknown workload '${id}'`);
  return w;
}
