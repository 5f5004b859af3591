// `nnlab bench --counts`: instruction counts under callgrind, as a BenchResult. Without --model and
// --only, the guard driver's kernel workloads (bench/guard.mjs's counts); a user model, and the
// standard timed workloads named in --only, run in Node under callgrind (callgrind-node.ts).
import { buildGuardDriver, countInstructions, guardWorkloads } from './callgrind.js';
import { countNodeWorkload } from './callgrind-node.js';
import { hostInfo } from './host.js';
import { selectNames } from './select.js';
import type { CountResult, CountsResult } from './types.js';
import { STANDARD_WORKLOADS, type UserModelSpec, userModelWorkload } from './workloads/index.js';

export interface CountOptions {
  /** Workloads by name (see selectNames): the guard driver's, or standard timed ones (counted in Node). */
  only?: readonly string[] | null;
  /** A user model to count (in Node, quick: one warm-up and one measured step). */
  model?: UserModelSpec;
  /** Where the guard driver is built (default ~/.cache/nnlab/guard-<version>, or NNLAB_GUARD_BUILD_DIR). */
  buildDir?: string;
  log?: (line: string) => void;
}

/** Standard timed workloads countable in Node (GEMM 1024^3 is too slow under valgrind: the guard counts gemm; a name the guard has, knn, means the guard's). */
const NODE_COUNTABLE = STANDARD_WORKLOADS.filter((w) => !w.roofline).map((w) => w.id);

export async function runCounts(o: CountOptions = {}): Promise<CountsResult> {
  const started = new Date();
  const workloads: CountResult[] = [];
  const only = o.only?.length ? o.only : null;
  const needDriver = !o.model || !!only;
  const driver = needDriver ? buildGuardDriver(o.buildDir, o.log) : null;
  const guard = driver ? guardWorkloads(driver) : [];
  // Without --only: the guard's kernels (none when counting a model); names pick from both sets.
  const names = only
    ? selectNames([...guard, ...NODE_COUNTABLE.filter((id) => !guard.includes(id))], only, 'count workload')
    : o.model
      ? []
      : guard;
  for (const id of names) {
    const inGuard = guard.includes(id);
    o.log?.(`${id} (callgrind${inGuard ? ', guard driver' : ', node'}) ...`);
    workloads.push(
      inGuard
        ? { id, title: `${id} kernels (guard driver)`, instructions: countInstructions(driver!, id) }
        : {
            id,
            title: `${STANDARD_WORKLOADS.find((w) => w.id === id)!.title} (quick size, addon instructions)`,
            instructions: countNodeWorkload(id),
          },
    );
  }
  if (o.model) {
    const w = await userModelWorkload(o.model);
    o.log?.(`${o.model.file} (callgrind, node) ...`);
    workloads.push({ id: w.id, title: `${w.title} (addon instructions)`, instructions: countNodeWorkload('model', o.model) });
  }
  return { format: 'nnlab-bench/1', mode: 'counts', date: started.toISOString(), quick: false, host: hostInfo(), workloads };
}
