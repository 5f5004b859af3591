// Performance regression guard that noisy shared machines cannot fool: the number of
// instructions the CPU kernels execute on fixed small workloads, counted by valgrind's
// callgrind (repeatable for the same binary and inputs), against bench/baselines.json.
//   node bench/guard.mjs            fails (exit 1) when a workload needs > 5% more instructions,
//                                   or > 20% fewer (bench/guard-verdict.mjs says why)
//   node bench/guard.mjs --update   rewrites the baselines: a deliberate, reviewed commit
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DROP_TOLERANCE, LABELS, RISE_TOLERANCE, verdict } from './guard-verdict.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = join(root, 'build-guard');
const baselinesPath = join(root, 'bench', 'baselines.json');

function buildDriver() {
  execFileSync('cmake', ['-S', join(root, 'bench', 'guard'), '-B', build, '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'ignore' });
  execFileSync('cmake', ['--build', build, '-j', '2'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return join(build, 'nnlab_guard');
}

function countInstructions(driver, workload) {
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-guard-'));
  try {
    return countInto(join(dir, 'callgrind.out'), driver, workload);
  } finally {
    rmSync(dir, { recursive: true, force: true }); // one callgrind file per workload and run
  }
}

function countInto(out, driver, workload) {
  // valgrind cannot run AVX-512 code, and the baselines count the AVX2 kernels on every machine.
  const env = { ...process.env, NNLAB_DISABLE_AVX512: '1' };
  const r = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--toggle-collect=nnlab_guard_measured', `--callgrind-out-file=${out}`, driver, workload],
    { encoding: 'utf8', env },
  );
  if (r.status !== 0) throw new Error(`valgrind ${workload} failed: ${r.stderr.split('\n').slice(-5).join('\n')}`);
  const m = readFileSync(out, 'utf8').match(/^summary:\s*(\d+)/m);
  if (!m) throw new Error(`no instruction total in ${out}`);
  return Number(m[1]);
}

const update = process.argv.includes('--update');
const driver = buildDriver();
const workloads = execFileSync(driver, ['list'], { encoding: 'utf8' }).trim().split('\n');
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
