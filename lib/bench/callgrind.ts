// The noise-free mode: instructions the CPU kernels execute on fixed small workloads, counted by
// valgrind's callgrind. Same binary, same inputs: same count, however loaded the machine is. The
// workloads are the guard driver's (bench/guard/driver.cpp, shipped in the package): the kernels
// linked into a small C++ program without Node, built here with cmake from the package's sources,
// so the counts are the repository guard's (bench/guard.mjs uses this module too).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

import { IOError } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';
import { nnlabVersion } from './host.js';

/** What a count may rise before it is a regression, and fall before it is suspicious (work skipped?). */
export const RISE_TOLERANCE = 0.05;
export const DROP_TOLERANCE = 0.2;

export type CountStatus = 'new' | 'ok' | 'rise' | 'drop';

/**
 * The guard's verdict on one count: more instructions than the baseline by over `rise` is a
 * regression, and so is a drop of over `drop`: a kernel that suddenly does far less work has most
 * likely stopped doing part of its job (a skipped loop, an early return), not become 5x smarter.
 */
export function verdict(
  count: number,
  baseline: number | undefined,
  rise = RISE_TOLERANCE,
  drop = DROP_TOLERANCE,
): { change: number | null; status: CountStatus } {
  if (!baseline) return { change: null, status: 'new' };
  const change = count / baseline - 1;
  if (change > rise) return { change, status: 'rise' };
  if (change < -drop) return { change, status: 'drop' };
  return { change, status: 'ok' };
}

export const LABELS: Record<CountStatus, string> = {
  rise: '  REGRESSION (more instructions)',
  drop: '  REGRESSION (far fewer instructions: work skipped?)',
  ok: '',
  new: '',
};

/** The guard driver's sources in this package. */
export const guardSourceDir = () => join(packageRoot(), 'bench', 'guard');

/** Where `nnlab bench --counts` builds the driver by default: a per-version cache folder. */
export const defaultGuardBuildDir = () =>
  process.env.NNLAB_GUARD_BUILD_DIR ?? join(homedir(), '.cache', 'nnlab', `guard-${nnlabVersion()}`);

function need(tool: string, hint: string): void {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new IOError(`bench --counts needs ${tool} on PATH (${hint})`);
}

/** Configures and builds the guard driver into buildDir (incremental: fast when up to date); returns its path. */
export function buildGuardDriver(buildDir: string = defaultGuardBuildDir(), log: (s: string) => void = () => {}): string {
  const src = guardSourceDir();
  if (!existsSync(join(src, 'driver.cpp'))) throw new IOError(`bench --counts: the guard driver's sources are missing (${src})`);
  need('cmake', 'apt-get install cmake g++');
  log(`building the instruction-count driver in ${buildDir} ...`);
  execFileSync('cmake', ['-S', src, '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release'], { stdio: 'ignore' });
  execFileSync('cmake', ['--build', buildDir, '-j', '2'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return join(buildDir, 'nnlab_guard');
}

/** The driver's workload names. */
export const guardWorkloads = (driver: string): string[] => execFileSync(driver, ['list'], { encoding: 'utf8' }).trim().split('\n');

/** Instructions executed inside nnlab_guard_measured for one workload (AVX2 kernels: valgrind cannot run AVX-512). */
export function countInstructions(driver: string, workload: string): number {
  need('valgrind', 'apt-get install valgrind');
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-guard-'));
  const out = join(dir, 'callgrind.out');
  try {
    // The baselines count the AVX2 kernels on every machine.
    const env = { ...process.env, NNLAB_DISABLE_AVX512: '1' };
    const r = spawnSync(
      'valgrind',
      ['--tool=callgrind', '--toggle-collect=nnlab_guard_measured', `--callgrind-out-file=${out}`, driver, workload],
      {
        encoding: 'utf8',
        env,
      },
    );
    if (r.status !== 0) throw new IOError(`valgrind ${workload} failed: ${(r.stderr ?? String(r.error)).split('\n').slice(-5).join('\n')}`);
    const m = readFileSync(out, 'utf8').match(/^summary:\s*(\d+)/m);
    if (!m) throw new IOError(`no instruction total in ${out}`);
    return Number(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true }); // one callgrind file per workload and run
  }
}
