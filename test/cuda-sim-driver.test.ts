// The simulator build (build-sim) through the code a GPU runs: `nnlab selftest --device cuda`
// (every op against the CPU, then a training run), and the allocation / out-of-memory paths of
// cuda/memory.cu, which run over the fake CUDA runtime of cuda/sim/fake_runtime.h. Each check
// runs in a child process because the device size (NNLAB_SIM_DEVICE_BYTES) is read once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { nnlab } from './support/cli.js';
import { simulatorSkipReason } from './support/native.js';

const skipReason = simulatorSkipReason();
const isSim = skipReason === '';
if (!isSim) console.log(`test/cuda-sim-driver.test.ts skipped: ${skipReason}`);

const MiB = 1 << 20;

// Runs a script against the loaded addon (NNLAB_ADDON is set by the cuda-sim project).
function node(script: string, env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
}

describe.skipIf(!isSim)('the simulated CUDA device through its driver layer', () => {
  it('nnlab selftest --device cuda passes and writes the JSON report', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nnlab-selftest-')), 'report.json');
    const r = nnlab(['selftest', '--device', 'cuda', '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS: \d+ cases and the training run/);
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    expect(rep.deviceName).toBe('cuda (simulator)');
    expect(rep.host.binary).toMatch(/build-sim/);
    expect(rep.ops.length).toBeGreaterThan(100);
    expect(rep.ops.every((o: { pass: boolean }) => o.pass)).toBe(true);
    expect(rep.training.pass).toBe(true);
    // The simulator rounds as the CPU does except for summation order: step losses agree closely.
    expect(rep.training.cpuAgreement).toMatchObject({ steps: 20, pass: true });
    expect(rep.training.cpuAgreement.maxRelDiff).toBeLessThan(1e-5);
    expect(r.stdout).toMatch(/training vs cpu: .*: ok/);
  }, 300_000);

  it('out of device memory: the cache is released and the allocation retried, then a typed OutOfMemoryError', () => {
    const script = `
      import { native } from '${join(process.cwd(), 'dist/core/native.js')}';
      import { OutOfMemoryError } from '${join(process.cwd(), 'dist/core/errors.js')}';
      const MiB = ${MiB};
      // 40 MiB freed into the allocator's cache, then 48 MiB: 88 MiB would not fit on the
      // 64 MiB device, so cudaMalloc fails once, the cache is released, the retry succeeds.
      const a = native.full([10 * MiB], 1, 'float32', 'cuda');
      a.dispose();
      const b = native.full([12 * MiB], 2, 'float32', 'cuda');
      const sum = native.toTypedArray(native.reduce(b, 'sum'))[0];
      b.dispose();
      let err = null;
      try { native.full([25 * MiB], 0, 'float32', 'cuda'); } catch (e) { err = e; }
      // The process lives on and the device still works.
      const c = native.toTypedArray(native.arange(5, 0, 1, 'cuda'));
      console.log(JSON.stringify({ sum, oom: err instanceof OutOfMemoryError, name: err && err.name, message: err && err.message, after: Array.from(c) }));
    `;
    const r = node(script, { NNLAB_SIM_DEVICE_BYTES: String(64 * MiB) });
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(o.sum).toBe(2 * 12 * MiB);
    expect(o.oom, `${o.name}: ${o.message}`).toBe(true);
    expect(o.message).toMatch(/could not allocate 104857600 bytes of device memory/);
    expect(o.after).toEqual([0, 1, 2, 3, 4]);
  }, 120_000);
});
