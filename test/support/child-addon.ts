// Runs native ops in a child process, where NNLAB_* variables (read once per process) can differ
// from this one's: `body` sees `addon`, `rnd()` (a seeded LCG in [0, 1)), `b64(handle)` (a result's
// bytes as base64) and `out`, the array of strings it fills and this returns.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

export function childAddonResults(env: Record<string, string>, seed: number, body: string): string[] {
  const script = `
    const addon = process.env.NNLAB_ADDON ? require(process.env.NNLAB_ADDON) : require('node-gyp-build')(${JSON.stringify(root)});
    let s = ${seed};
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const b64 = (h) => Buffer.from(addon.toTypedArray(h).buffer).toString('base64');
    const out = [];
    ${body}
    console.log(JSON.stringify(out));`;
  const res = spawnSync(process.execPath, ['-e', script], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(res.stdout.trim());
}
