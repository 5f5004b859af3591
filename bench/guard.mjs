// Performance regression guard that noisy shared machines cannot fool: the number of
// instructions the CPU kernels execute on fixed small workloads, counted by valgrind's
// callgrind (repeatable for the same binary and inputs), against bench/baselines.json.
//   node bench/guard.mjs            fails (exit 1) when a workload needs > 5% more instructions,
//                                   or > 20% fewer (lib/bench/callgrind.ts says why)
//   node bench/guard.mjs --update   rewrites the baselines: a deliberate, reviewed commit
// The driver build, the counting and the verdict are the package's (lib/bench/callgrind.ts, run
// from dist/: `nnlab bench --counts` gives the same counts); this script keeps the repository's
// baselines file and its table.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  buildGuardDriver,
  countInstructions,
  DROP_TOLERANCE,
  guardWorkloads,
  LABELS,
  RISE_TOLERANCE,
  verdict,
} from '../dist/bench/callgrind.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const baselinesPath = join(root, 'bench', 'baselines.json');

const update = process.argv.includes('--update');
const driver = buildGuardDriver(join(root, 'build-guard'));
const workloads = guardWorkloads(driver);
const baselines = existsSync(baselinesPath) ? JSON.parse(readFileSync(baselinesPath, 'utf8')) : { instructions: {} };
const counts = {};
let failed = 0;
console.log(`${'workload'.padEnd(14)}${'instructions'.padStart(16)}${'baseline'.padStart(16)}${'change'.padStart(10)}`);
for (const w of workloads) {
  counts[w] = countInstructions(driver, w);
  const base = baselines.instructions[w];
  const { change, status } = verdict(counts[w], base);
  if (status === 'rise' || status === 'drop') failed++;
  console.log(
    `${w.padEnd(14)}${String(counts[w]).padStart(16)}${String(base ?? '-').padStart(16)}${(change === null ? 'new' : `${(100 * change).toFixed(2)}%`).padStart(10)}${LABELS[status]}`,
  );
}
if (update) {
  writeFileSync(
    baselinesPath,
    JSON.stringify(
      {
        note: 'instructions counted by callgrind for bench/guard/driver.cpp workloads (1 thread); update with node bench/guard.mjs --update',
        instructions: counts,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`baselines written to ${baselinesPath}`);
} else if (failed) {
  console.log(
    `${failed} workload(s) need more than ${100 * RISE_TOLERANCE}% more or ${100 * DROP_TOLERANCE}% fewer instructions than their baseline`,
  );
  process.exit(1);
} else {
  const missing = workloads.filter((w) => !baselines.instructions[w]);
  console.log(
    missing.length ? `no baseline yet for ${missing.join(', ')} (run with --update)` : 'all workloads within +5% / -20% of their baselines',
  );
}
