// The real nvcc build (build-cuda/, made by .ci/run with NNLAB_CUDA=ON) on a machine without a
// GPU: it loads, reports cuda unavailable with the driver's reason, refuses 'cuda' with a typed
// device error naming it, and 'auto' falls back to the cpu with one logged line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ADDON = resolve('build-cuda/Release/nnlab.node');
const present = existsSync(ADDON);
if (!present && process.env.CI) throw new Error(`${ADDON} is missing: .ci/run builds it with NNLAB_CUDA=ON before the tests`);
if (!present)
  console.log(`test/cuda-real.test.ts skipped: no nvcc build at ${ADDON} (npx cmake-js compile --out build-cuda --CDNNLAB_CUDA=ON)`);

const run = (args: string[]) =>
  spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', env: { ...process.env, NNLAB_ADDON: ADDON } });

describe.skipIf(!present)('the nvcc build without a GPU', () => {
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
