// `nnlab bench --counts`: the guard driver's workloads under callgrind, as a BenchResult.
import { ArgumentError } from '../core/errors.js';
import { buildGuardDriver, countInstructions, guardWorkloads } from './callgrind.js';
import { hostInfo } from './host.js';
import type { CountsResult } from './types.js';

export interface CountOptions {
  /** Driver workloads whose name contains one of these (default: all). */
  only?: readonly string[] | null;
  /** Where the driver is built (default ~/.cache/nnlab/guard-<version>, or NNLAB_GUARD_BUILD_DIR). */
  buildDir?: string;
  log?: (line: string) => void;
}

export function runCounts(o: CountOptions = {}): CountsResult {
  const started = new Date();
  const driver = buildGuardDriver(o.buildDir, o.log);
  const all = guardWorkloads(driver);
  const only = o.only?.length ? o.only : null;
  const unknown = (only ?? []).filter((x) => !all.some((w) => w.includes(x)));
  if (unknown.length) throw new ArgumentError(`bench --counts: no workload matches ${unknown.join(', ')} (the count workloads: ${all.join(', ')})`);
  const chosen = only ? all.filter((w) => only.some((x) => w.includes(x))) : all;
  const workloads = chosen.map((id) => {
    o.log?.(`${id} (callgrind) ...`);
    return { id, title: `${id} kernels (guard driver)`, instructions: countInstructions(driver, id) };
  });
  return { format: 'nnlab-bench/1', mode: 'counts', date: started.toISOString(), quick: false, host: hostInfo(), workloads };
}
