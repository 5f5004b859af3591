// The real nvcc build (build-cuda/, made by .ci/run with NNLAB_CUDA=ON). What to expect is asked
// of the NVIDIA driver, not of nnlab (test/support/gpu.ts: libcuda + cuDeviceGetCount):
// - no GPU: it loads, reports cuda unavailable with the driver's reason, refuses 'cuda' with a
//   typed device error naming it, and 'auto' falls back to the cpu with one logged line;
// - a GPU: `nnlab selftest --device cuda` (every op against the CPU, then a training run) passes.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { probeGpu } from './support/gpu.js';
import { skipReason } from './support/skips.js';

const ADDON = resolve('build-cuda/Release/nnlab.node');
const present = existsSync(ADDON);
if (!present && process.env.CI) throw new Error(`${ADDON} is missing: .ci/run builds it with NNLAB_CUDA=ON before the tests`);
if (!present)
  console.log(`test/cuda-real.test.ts skipped: no nvcc build at ${ADDON} (npx cmake-js compile --out build-cuda --CDNNLAB_CUDA=ON)`);

const gpu = present ? probeGpu() : { libcuda: false, devices: 0, reason: 'not probed' };
if (present) console.log(`test/cuda-real.test.ts: driver probe ${JSON.stringify(gpu)}`);

const run = (args: string[]) =>
  spawnSync(process.execPath, ['dist/cli.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NNLAB_ADDON: ADDON },
    timeout: 600_000,
  });

describe.skipIf(!present || gpu.devices > 0)('the nvcc build without a GPU', () => {
  it('devices --json reports cuda unavailable with the driver reason', () => {
    const r = run(['devices', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const d = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(d.cuda.available).toBe(false);
    expect(d.cuda.reason).toMatch(/driver|GPU|device/i);
    expect(d.cuda.reason).not.toMatch(/compiled without nvcc/);
  });

  it("asking for 'cuda' is a typed device error; 'auto' falls back with one logged line", () => {
    const bad = run(['train', '--device', 'cuda', '--limit', '256', '--epochs', '1']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/DeviceError: device 'cuda' is not available: .*(driver|GPU)/i);
    const auto = run(['train', '--device', 'auto', '--limit', '512', '--epochs', '1', '--out', resolve('build-cuda/auto-run')]);
    expect(auto.status, auto.stderr).toBe(0);
    expect(auto.stderr.match(/nnlab: using cpu/g)?.length).toBe(1);
  });
});

// Without a GPU this block is a 'gpu' skip (allowed in strict mode), printed with the driver's answer.
const noGpu = present && skipReason(gpu.devices > 0, `no GPU for the nvcc build's selftest (${gpu.reason})`, 'gpu');
describe.skipIf(!present || Boolean(noGpu))('the nvcc build on a GPU', () => {
  it('nnlab selftest --device cuda passes (every op against the cpu, then a training run)', () => {
    const r = run(['selftest', '--device', 'cuda', '--out', resolve('build-cuda/selftest.json')]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASS: \d+ cases and the training run/);
  }, 600_000);
});
