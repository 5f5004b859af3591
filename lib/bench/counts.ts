// `nnlab bench --counts`: the guard driver's workloads under callgrind, as a BenchResult.
import { buildGuardDriver, countInstructions, guardWorkloads } from './callgrind.js';
import { hostInfo } from './host.js';
import { selectNames } from './select.js';
import type { CountsResult } from './types.js';

export interface CountOptions {
  /** Driver workloads by name (default: all; see selectNames). */
  only?: readonly string[] | null;
  /** Where the driver is built (default ~/.cache/nnlab/guard-<version>, or NNLAB_GUARD_BUILD_DIR). */
  buildDir?: string;
  log?: (line: string) => void;
}

export function runCounts(o: CountOptions = {}): CountsResult {
  const started = new Date();
  const driver = buildGuardDriver(o.buildDir, o.log);
  const all = guardWorkloads(driver);
  const chosen = selectNames(all, o.only, 'count workload');
  const workloads = chosen.map((id) => {
    o.log?.(`${id} (callgrind) ...`);
    return { id, title: `${id} kernels (guard driver)`, instructions: countInstructions(driver, id) };
  });
  return { format: 'nnlab-bench/1', mode: 'counts', date: started.toISOString(), quick: false, host: hostInfo(), workloads };
}
