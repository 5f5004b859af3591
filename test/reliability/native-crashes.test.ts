// Issue 24, crashes 1, 2 and 4: sizes whose element count overflows 64 bits, strides that
// overflow the bounds check, and allocations larger than the memory the process may use. Each
// used to segfault, read heap garbage or get the process SIGKILLed; each is now a typed error.
import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { IndexOutOfRangeError, NnlabError, OutOfMemoryError, zeros } from '../../lib/index.js';
import { native } from '../support/native.js';
import { skipUnless } from '../support/skips.js';
import { memoryCgroup } from './memory-cgroup.js';

function swapBytes(): number {
  const m = /SwapTotal:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

describe('element counts that overflow 64 bits', () => {
  it('zeros([2**25, 2**39]) is an OutOfMemoryError, not a zero-size tensor', () => {
    expect(() => zeros([2 ** 25, 2 ** 39])).toThrow(OutOfMemoryError);
    expect(() => zeros([2 ** 25, 2 ** 39])).toThrow(/more than 2\^56 elements/);
  });

  it('argmax, indexSelect, sum and matmul never see a wrapped count', () => {
    // Such a tensor cannot exist, so every op that would take one fails at creation instead.
    for (const shape of [
      [2 ** 25, 2 ** 39],
      [2 ** 32, 2 ** 32],
      [2 ** 21, 2 ** 21, 2 ** 21, 2],
    ]) {
      expect(() => native.full(shape, 0, 'float32', 'cpu')).toThrow(OutOfMemoryError);
      expect(() => native.rand('uniform', shape, 0, 0, 0, 1, 'cpu')).toThrow(OutOfMemoryError);
    }
    const t = zeros([4, 4]);
    expect(() => t.reshape([2 ** 30, 2 ** 30, 2 ** 30, 0])).toThrow(NnlabError);
    expect(t.argmax(1).shape).toEqual([4]);
    expect(t.sum().item()).toBe(0);
  });
});

describe('stridedCopy bounds check', () => {
  const t = zeros([4]);
  it('a stride of 2**62 + 1000 is refused (it read heap garbage)', () => {
    expect(() => native.stridedCopy(t.handle, [2], [2 ** 62 + 1000], 0)).toThrow(IndexOutOfRangeError);
  });
  it('strides whose reach overflows int64 are refused, reading or writing', () => {
    expect(() => native.stridedCopy(t.handle, [3], [2 ** 62], 0)).toThrow(IndexOutOfRangeError);
    expect(() => native.stridedCopy(t.handle, [3], [-(2 ** 62)], 3)).toThrow(IndexOutOfRangeError);
    expect(() => native.stridedCopy(t.handle, [3], [1], 0, t.handle, [2 ** 62], 0)).toThrow(IndexOutOfRangeError);
    expect(() => native.stridedCopy(t.handle, [2, 2], [2 ** 63, 1], 0)).toThrow(IndexOutOfRangeError);
    expect(() => native.stridedCopy(t.handle, [2], [1e300], 0)).toThrow(IndexOutOfRangeError);
  });
  it('valid views still copy', () => {
    const out = native.stridedCopy(t.handle, [2], [2], 1);
    expect(out.shape).toEqual([2]);
    out.dispose();
  });
});

describe('allocations larger than the memory available', () => {
  it('zeros([2**33]) (32 GiB) is an OutOfMemoryError where that is more than RAM + swap', (ctx) => {
    skipUnless(
      ctx,
      2 ** 35 > totalmem() + swapBytes(),
      `this machine has ${(totalmem() / 2 ** 30).toFixed(0)} GiB of RAM and swap: 32 GiB fits`,
    );
    expect(() => zeros([2 ** 33])).toThrow(OutOfMemoryError);
  });

  const childArgs = (code: string) => ['--input-type=module', '-e', `import * as nn from '${process.cwd()}/dist/index.js';\n${code}`];
  const child = (code: string, env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, childArgs(code), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  const tryAlloc = (n: number) =>
    `try { nn.zeros([${n}]); console.log('allocated'); } catch (e) { console.log(e.name + ': ' + e.message); }`;

  it('an allocation of twice RAM + swap is an OutOfMemoryError, with and without the arena', () => {
    const n = Math.ceil((2 * (totalmem() + swapBytes())) / 4);
    expect(() => zeros([n])).toThrow(/cannot allocate .* available to this process/);
    const r = child(tryAlloc(n), { NNLAB_CPU_ARENA: '0' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OutOfMemoryError: /);
  });

  it('inside a memory-limited cgroup, an allocation over its limit is an OutOfMemoryError (not a SIGKILL)', (ctx) => {
    const { cgroup, reasons } = memoryCgroup(512 * 2 ** 20);
    skipUnless(ctx, !!cgroup, `cannot create a memory cgroup here (${reasons.join('; ')})`, 'cgroup');
    try {
      console.log(`memory cgroup made with ${cgroup!.mechanism}: ${cgroup!.name}`);
      // 1 GiB of float32 zeros: twice the limit, far below the RAM of any machine that runs this.
      const r = cgroup!.run([process.execPath, ...childArgs(tryAlloc(2 ** 28))], process.env);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.stdout).toMatch(/^OutOfMemoryError: cpu: cannot allocate 1073741824 bytes/);
      expect(r.stdout).toContain(`(memory cgroup `);
      expect(r.stdout).toContain(`${cgroup!.name}, limited to 512 MiB)`);
    } finally {
      cgroup!.remove();
    }
  });
});
