// Workloads by id: the standard ones, and a user model when the spec names one.
import { ArgumentError } from '../../core/errors.js';
import { selectNames } from '../select.js';
import { STANDARD_WORKLOADS } from './standard.js';
import type { Workload } from './types.js';
import { type UserModelSpec, userModelWorkload } from './user-model.js';

export { STANDARD_WORKLOADS } from './standard.js';
export type { Workload, Prepared } from './types.js';
export { parseShape, userModelWorkload, type UserModelSpec } from './user-model.js';
export type { Mode, LossSpec } from './model-step.js';

/** The standard workloads `--only` names (all when only is empty; see selectNames). */
export function selectStandard(only: readonly string[] | null | undefined): Workload[] {
  const ids = selectNames(
    STANDARD_WORKLOADS.map((w) => w.id),
    only,
    'workload',
  );
  return STANDARD_WORKLOADS.filter((w) => ids.includes(w.id));
}

export async function findWorkload(id: string, model?: UserModelSpec): Promise<Workload> {
  if (model) return userModelWorkload(model);
  const w = STANDARD_WORKLOADS.find((x) => x.id === id);
  if (!w) throw new ArgumentError(`bench: unknown workload '${id}'`);
  return w;
}
