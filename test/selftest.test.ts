// `nnlab selftest` on the CPU, run as a user would: the table, the JSON report (host, binary,
// per-case errors and tolerances, the training run), exit codes. On the simulator and on a GPU
// the same command runs with --device cuda (test/cuda-sim-driver.test.ts, test/cuda-real.test.ts).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { nnlab } from './support/cli.js';

describe('nnlab selftest on the cpu', () => {
  it('passes every case and the training run, and writes a report to attach to an issue', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nnlab-selftest-')), 'report.json');
    const r = nnlab(['selftest', '--device', 'cpu', '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^nnlab selftest: cpu vs cpu/);
    expect(r.stdout).toMatch(/arange_f32\/n331 +0 +0 +exact +ok/);
    expect(r.stdout).toMatch(/training \(300 Adam steps.*: ok/);
    expect(r.stdout).toMatch(/PASS: \d+ cases and the training run/);
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    expect(rep).toMatchObject({ nnlab: 'selftest', version: 1, device: 'cpu', deviceName: 'cpu' });
    expect(rep.host).toMatchObject({ platform: process.platform, arch: process.arch, node: process.version });
    expect(rep.host.binary).toMatch(/\.node$/); // a build from source (nnlab.node) or a prebuilt (node.napi.glibc.node)
    expect(rep.ops.length).toBeGreaterThan(100);
    for (const o of rep.ops)
      expect(Object.keys(o)).toEqual(expect.arrayContaining(['name', 'ops', 'tolerance', 'maxAbsError', 'nmse', 'pass']));
    expect(rep.training.finalLoss).toBeLessThan(rep.training.maxFinalLoss);
    expect(rep.training.losses).toHaveLength(300);
    expect(rep.training.cpuAgreement).toBeUndefined(); // the cpu is not compared with itself
    expect(rep.training.testAccuracy).toBeGreaterThanOrEqual(rep.training.minTestAccuracy);
    expect(rep.summary).toEqual({ cases: rep.ops.length, failed: [], trainingPass: true, pass: true });
  }, 60_000);

  it('--json prints the report; --filter runs a subset without training', () => {
    const r = nnlab(['selftest', '--device', 'cpu', '--json', '--filter', 'matmul']);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.ops.length).toBe(5);
    expect(rep.training).toBeNull();
  });

  it('a training run that cannot reach its target fails with exit 1', () => {
    // 3 steps cannot bring the loss under the threshold: the verdict must say so.
    const r = nnlab(['selftest', '--device', 'cpu', '--filter', 'arange']);
    expect(r.stdout).toMatch(/PASS: 1 cases\n/);
    const t = nnlab(['selftest', '--device', 'cpu', '--steps', '3']);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/training \(3 Adam steps.*FAIL/);
    expect(t.stdout).toMatch(/FAIL: 0 of \d+ cases and the training run failed/);
  });

  it('asking for cuda on a build without it is a device error naming the reason', () => {
    const r = nnlab(['selftest', '--device', 'cuda']);
    if (r.code === 0) return; // a build with CUDA (simulator or GPU): covered by the cuda tests
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DeviceError: device 'cuda' is not available/);
  });
});
