// The thread pool's idle workers spin NNLAB_SPIN_US microseconds before they sleep. Whether a job
// finds its workers spinning or asleep must change neither the results (static partitions) nor
// whether the process finishes: the same ops run in child processes on 2 threads with the workers
// always sleeping (0), the default, and spinning up to the 1 s cap, with pauses between ops so
// the sleeping path is really taken.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../lib/core/native.js';

const root = packageRoot();

function childRun(spinUs: string | null): { threads: number; results: string[] } {
  const script = `
    const addon = process.env.NNLAB_ADDON ? require(process.env.NNLAB_ADDON) : require('node-gyp-build')(${JSON.stringify(root)});
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    const t = (n, shape) => addon.fromTypedArray(Float32Array.from({ length: n }, rnd), shape, 'cpu');
    // A digest of the result's bytes: equal bits, equal digests.
    const digest = (h) => require('node:crypto').createHash('sha256').update(Buffer.from(addon.toTypedArray(h).buffer)).digest('hex');
    const pause = (ms) => new Promise((r) => setTimeout(r, ms));
    (async () => {
      const out = [];
      const a = t(300 * 200, [300, 200]), b = t(200 * 250, [200, 250]);
      const x = t(4 * 8 * 20 * 20, [4, 8, 20, 20]), w = t(16 * 8 * 3 * 3, [16, 8, 3, 3]), bias = t(16, [16]);
      for (let i = 0; i < 3; i++) {
        out.push(digest(addon.matmul(a, b)));
        await pause(5);
        const y = addon.conv2d(x, w, bias, 1, 1, 1, 1, 1, 1, 1);
        out.push(digest(y));
        await pause(5);
        out.push(digest(addon.conv2dBackwardWeight(x, y, [16, 8, 3, 3], 1, 1, 1, 1, 1, 1, 1)));
      }
      console.log(JSON.stringify({ threads: addon.numThreads(), results: out }));
    })();`;
  const env: Record<string, string | undefined> = { ...process.env, NNLAB_THREADS: '2' };
  if (spinUs === null) delete env.NNLAB_SPIN_US;
  else env.NNLAB_SPIN_US = spinUs;
  const res = spawnSync(process.execPath, ['-e', script], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  expect(res.error, 'the child could not run, or did not finish within 60 s').toBeUndefined();
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout.trim());
}

describe('thread pool: idle workers spinning or asleep', () => {
  it('gives the same bits on 2 threads whether workers sleep at once, spin 300 us or spin up to 1 s', () => {
    const asleep = childRun('0');
    const byDefault = childRun(null);
    const spinning = childRun('1000000');
    for (const r of [asleep, byDefault, spinning]) expect(r.threads).toBe(2);
    expect(asleep.results.length).toBe(9);
    expect(byDefault.results).toEqual(asleep.results);
    expect(spinning.results).toEqual(asleep.results);
    // Three repetitions of each op on the same inputs agree too (no job read another's arguments).
    expect(asleep.results[3]).toBe(asleep.results[0]);
    expect(asleep.results[6]).toBe(asleep.results[0]);
  });
});
