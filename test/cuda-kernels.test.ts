// The CUDA kernel unit tests (cuda/sim/kernel_tests/): every op of the CUDA backend, compiled
// with g++ over the simulator, against the CPU backend on the shapes of the shared case table
// (lib/core/conformance/table.ts, written as JSON next to the build), in two builds:
//  - threads + ThreadSanitizer: every simulated thread is an OS thread, waves of blocks run at
//    once; TSan must report no data race and every kernel must agree with the CPU;
//  - fibers (the scheduler of the simulator addon): the same cases must agree too.
// The driver prints one JSON line per case and a summary with the launch count of every kernel;
// coverage is checked against the sources: each kernel launched in cuda/*.cu and each op of the
// Backend interface must be exercised.
//
// The build takes minutes on a 2-core machine, so this file runs with the simulator suite (it is
// skipped unless the loaded addon is the simulator build, as test/ops/cuda-sim.test.ts; .ci/run runs
// both in its simulator step).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { caseTable, tableJson } from '../lib/core/conformance/table.js';
import { simulatorSkipReason } from './support/native.js';

const skipReason = simulatorSkipReason();
const isSim = skipReason === '';
if (!isSim) console.log(`test/cuda-kernels.test.ts skipped: ${skipReason}`);

const BUILD = resolve('build-kernel-tests');

type Output = { name: string; n: number; worst_ratio?: number | string; mismatches?: number; first_bad?: unknown; error?: string };
type CaseLine = {
  case: string;
  ok: boolean;
  blocks: number;
  tol: { rtol: number; atol_scale: number };
  kernels: Record<string, number>;
  outputs: Output[];
  error?: string;
};
type Summary = { summary: true; cases: number; failed: number; scheduler: string; launched: Record<string, number> };
type Run = { status: number | null; stderr: string; cases: CaseLine[]; summary?: Summary };

function tsanLinks(): boolean {
  try {
    const out = join(mkdtempSync(join(tmpdir(), 'tsan-')), 'a');
    execFileSync('g++', ['-fsanitize=thread', '-x', 'c++', '-', '-o', out], { input: 'int main(){}', stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

function runDriver(exe: string, args: string[] = [], env: Record<string, string> = {}): Run {
  const r = spawnSync(join(BUILD, exe), args, {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, TSAN_OPTIONS: 'halt_on_error=0', ...env },
  });
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as CaseLine | Summary);
  return {
    status: r.status,
    stderr: r.stderr,
    cases: lines.filter((l): l is CaseLine => 'case' in l),
    summary: lines.find((l): l is Summary => 'summary' in l),
  };
}

// Kernel names as NN_LAUNCH stringifies them (template arguments included).
function launchedInSources(): Set<string> {
  const names = new Set<string>();
  for (const f of readdirSync('cuda').filter((f) => f.endsWith('.cu'))) {
    for (const m of readFileSync(join('cuda', f), 'utf8').matchAll(/NN_LAUNCH\(\s*([A-Za-z_]\w*(?:<[^>]*>)?)/g)) names.add(m[1]);
  }
  return names;
}

// The compute ops of the Backend interface (memory management and device queries excluded).
/** The backend's kernels: every NN_KERNEL of the op manifest, and the optional kernels declared in backend.h. */
function backendOps(): string[] {
  const manifest = [...readFileSync('native/ops.def', 'utf8').matchAll(/^NN_KERNEL\([^,]+, (\w+),/gm)].map((m) => m[1]);
  const src = readFileSync('native/backend.h', 'utf8');
  const iface = src.slice(src.indexOf('class Backend'));
  const skip = new Set([
    'alloc',
    'free',
    'copy_from_host',
    'copy_to_host',
    'copy_within',
    'synchronize',
    'device',
    'name',
    'memory_stats',
    'release_cache',
  ]);
  const declared = [...iface.matchAll(/virtual\s+[\w:<>]+\s+(\w+)\(/g)].map((m) => m[1]).filter((n) => !skip.has(n));
  return [...manifest, ...declared];
}

/** Every case agreed with the CPU, on `scheduler`, and every kernel of cuda/*.cu was launched. */
function expectAllAgree(run: Run, label: string, scheduler: string) {
  const failed = run.cases.filter((c) => !c.ok);
  expect(
    failed.map((c) => JSON.stringify(c)),
    `${label}: cases that disagree with the CPU backend`,
  ).toEqual([]);
  expect(run.summary, `${label}: no summary line (crash?) stderr: ${run.stderr.slice(0, 2000)}`).toBeDefined();
  expect(run.summary!.failed).toBe(0);
  expect(run.status, `${label}: exit status; stderr: ${run.stderr.slice(0, 2000)}`).toBe(0);
  expect(run.summary!.scheduler).toBe(scheduler);
  const launched = new Set(Object.keys(run.summary!.launched));
  expect(
    [...launchedInSources()].filter((k) => !launched.has(k)),
    `${label}: kernels never launched by the tests`,
  ).toEqual([]);
}

describe.skipIf(!isSim)('CUDA kernel unit tests on the simulator, against the CPU backend', () => {
  const tsan = isSim && tsanLinks();
  if (isSim && !tsan) console.log('test/cuda-kernels.test.ts: ThreadSanitizer half skipped: g++ cannot link -fsanitize=thread here');

  beforeAll(() => {
    execFileSync(
      'cmake',
      ['-S', 'cuda/sim/kernel_tests', '-B', BUILD, '-DCMAKE_BUILD_TYPE=Release', `-DNNLAB_KERNEL_TESTS_TSAN=${tsan ? 'ON' : 'OFF'}`],
      { stdio: 'pipe', maxBuffer: 1 << 28 },
    );
    execFileSync('cmake', ['--build', BUILD, '-j', '2'], { stdio: 'pipe', maxBuffer: 1 << 28 });
    mkdirSync(BUILD, { recursive: true });
    writeFileSync(join(BUILD, 'cases.json'), tableJson());
  }, 1_200_000);

  it('every kernel of the manifest has an entry in the case table that the kernel tests run', () => {
    const run = new Set(caseTable.filter((c) => c.only !== 'addon').map((c) => c.op));
    const manifest = [...readFileSync('native/ops.def', 'utf8').matchAll(/^NN_KERNEL\([^,]+, (\w+),/gm)].map((m) => m[1]);
    expect(manifest.filter((op) => !run.has(op))).toEqual([]);
  });

  it('every kernel and every backend op has a runner', () => {
    const src = readdirSync('cuda/sim/kernel_tests')
      .filter((f) => f.endsWith('.cpp'))
      .map((f) => readFileSync(join('cuda/sim/kernel_tests', f), 'utf8'))
      .join('\n');
    const missing = backendOps().filter((op) => !new RegExp(`\\.${op}\\(`).test(src));
    expect(missing, 'Backend ops without a kernel test runner').toEqual([]);
  });

  it.skipIf(!tsan)(
    'threads under ThreadSanitizer: no data race, every kernel agrees with the CPU',
    () => {
      const run = runDriver('nnlab_kernel_tests_tsan');
      // Any report fails the test, whatever the exit status says.
      expect(run.stderr.match(/WARNING: ThreadSanitizer[^\n]*/g) ?? [], run.stderr.slice(0, 6000)).toEqual([]);
      expectAllAgree(run, 'tsan', 'threads');
      expect(run.cases.length).toBeGreaterThan(200);
    },
    900_000,
  );

  it('the fused optimizer steps update all parameter tensors in one launch', () => {
    const run = runDriver('nnlab_kernel_tests_fibers');
    const steps = run.cases.filter((c) => /^(sgd|adam)_step\//.test(c.case));
    expect(steps.length).toBe(7);
    for (const c of steps) expect(Object.values(c.kernels), c.case).toEqual([1]);
  });

  it('fibers: every kernel agrees with the CPU', () => {
    const run = runDriver('nnlab_kernel_tests_fibers');
    expectAllAgree(run, 'fibers', 'fibers');
  }, 300_000);

  it('the comparison fails on a result off by a little more than its tolerance', () => {
    // --perturb shifts one element of one CUDA output by 1e-3 relative: the case must fail and
    // name that element, while the untouched cases still pass.
    for (const name of ['gemm/plain', 'argmax/rows_5x300']) {
      const r = runDriver('nnlab_kernel_tests_fibers', ['--perturb', name, name.split('/')[0] + '/']);
      const hit = r.cases.find((l) => l.case === name);
      expect(hit?.ok).toBe(false);
      expect(hit?.outputs[0].first_bad).toMatchObject({ index: 0 });
      expect(r.cases.filter((l) => l.case !== name).every((l) => l.ok)).toBe(true);
      expect(r.status).toBe(1);
    }
  });

  it("at a GPU's grid sizes (NNLAB_SIM_MAX_BLOCKS=8192) the grid cases launch thousands of blocks and agree", () => {
    const r = runDriver('nnlab_kernel_tests_fibers', ['grid'], { NNLAB_SIM_MAX_BLOCKS: '8192' });
    const cases = r.cases;
    expect(cases.map((c) => c.case).sort()).toEqual(['arange_f32/grid', 'rand_uniform/grid', 'softmax/grid_rows_4001x37']);
    for (const c of cases) {
      expect(c.ok, JSON.stringify(c)).toBe(true);
      expect(c.blocks, `${c.case}: blocks launched`).toBeGreaterThanOrEqual(3000);
    }
    expect(r.status).toBe(0);
    // Without the variable the simulator keeps its small grids (the same cases, a few blocks).
    const small = runDriver('nnlab_kernel_tests_fibers', ['arange_f32/grid']);
    expect(small.cases[0].blocks).toBeLessThanOrEqual(16);
  }, 300_000);

  it('a table entry without a runner, or a table that does not parse, stops the driver with an error naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kt-table-'));
    const bad = JSON.parse(tableJson());
    bad.cases = [{ op: 'no_such_op', name: 'x', shapes: {}, params: {}, tol: 'exact' }];
    writeFileSync(join(dir, 'runner.json'), JSON.stringify(bad));
    writeFileSync(join(dir, 'syntax.json'), tableJson().slice(0, 500));
    const noRunner = runDriver('nnlab_kernel_tests_fibers', ['--table', join(dir, 'runner.json')]);
    expect(noRunner.status).toBe(1);
    expect(JSON.stringify(noRunner.summary)).toMatch(/no runner for op 'no_such_op'/);
    const syntax = runDriver('nnlab_kernel_tests_fibers', ['--table', join(dir, 'syntax.json')]);
    expect(syntax.status).toBe(1);
    expect(JSON.stringify(syntax.summary)).toMatch(/case table JSON: .* at offset \d+/);
  });

  it('a kernel handed host memory fails with a device error naming the kernel and the argument', () => {
    const r = spawnSync(join(BUILD, 'nnlab_kernel_tests_fibers'), ['--host-pointer'], { encoding: 'utf8' });
    const line = JSON.parse(r.stdout.trim());
    expect(line.ok, line.detail).toBe(true);
    expect(line.detail).toMatch(/^ERR_DEVICE: .*argument 0 of kernel fill_kernel<float> points at host memory/);
    expect(r.status).toBe(0);
  });
});
