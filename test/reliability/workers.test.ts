// Issue 24, crash 3: the addon in worker_threads. workers-train.mjs trains in two workers and the
// main thread at once, then keeps training after the workers exit. In a child process, so an
// abort or segfault is a failed assertion here rather than a lost test worker.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('the addon in worker_threads', () => {
  it('two workers train at once next to the main thread, which continues after they exit', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', 'test/reliability/workers-train.mjs', '150'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, { first: number; last: number; typed: boolean }> & {
      workers: { first: number; last: number; typed: boolean }[];
    };
    for (const run of [out.main, ...out.workers, out.after]) {
      expect(run.typed).toBe(true);
      expect(Number.isFinite(run.last)).toBe(true);
      // Training really ran in every environment: the loss went down.
      expect(run.last).toBeLessThan(run.first);
    }
  });
});
