// Issue 24, silent corruption 7: the ResNet member cache is shared by studies running at once.
// Each member folder is taken with waitForLock (lib/report/run-lock.ts) before it is checked or
// trained; here three processes contend for one folder and their critical sections must not overlap.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const holder = (dir: string, log: string) => `
import { appendFileSync } from 'node:fs';
import { waitForLock } from '${process.cwd()}/dist/report/run-lock.js';
const release = await waitForLock(${JSON.stringify(dir)}, () => {}, 5);
const start = Date.now();
await new Promise((r) => setTimeout(r, 150));
appendFileSync(${JSON.stringify(log)}, JSON.stringify([start, Date.now()]) + '\\n');
release();
`;

describe('member cache folders under concurrent writers', () => {
  // Five processes polling every 5 ms: a lock file read while still empty (created, pid not yet
  // written) used to look stale and was taken over, so two processes held the folder at once.
  it('five processes take one folder in turn, never at once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nnlab-lock-'));
    const dir = join(root, 'resnet18-mnist-member-0'),
      log = join(root, 'log');
    const runs = [0, 1, 2, 3, 4].map(
      () =>
        new Promise<number | null>((resolve) => {
          const p = spawn(process.execPath, ['--input-type=module', '-e', holder(dir, log)], { stdio: 'inherit' });
          p.once('exit', resolve);
        }),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0, 0]);
    const spans = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [number, number])
      .sort((a, b) => a[0] - b[0]);
    expect(spans.length).toBe(5);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  });
});
