// Large CPU buffers come from one arena (native/cpu/memory/host_arena.h) that splits freed blocks for
// other sizes and merges neighbours back. What users see: the resident set follows the bytes in
// use, not one cached copy of every size ever freed; a training loop reuses its memory without
// growing; releaseCpuCache gives idle memory back.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { childAddonResults } from './support/child-addon.js';
import { native } from './support/native.js';

const MiB = 2 ** 20;
const arena = () => {
  const a = native.cpuCache().arena;
  if (!a) throw new Error('no CPU arena: the address range could not be reserved on this machine');
  return a;
};
const floats = (mib: number) => (mib * MiB) / 4;

describe('CPU arena', () => {
  it('a freed block serves smaller sizes, and freed neighbours merge for a larger one', () => {
    const big = native.full([floats(64)], 1, 'float32', 'cpu');
    const carved = arena().carvedBytes;
    big.dispose();
    // Four 16 MiB tensors fit in the 64 MiB just freed: nothing new is carved.
    const quarters = [0, 1, 2, 3].map((i) => native.full([floats(16)], i, 'float32', 'cpu'));
    expect(arena().carvedBytes).toBe(carved);
    for (const [i, q] of quarters.entries()) expect(native.toTypedArray(q)[floats(16) - 1]).toBe(i);
    // Freed in an order that leaves holes first, then merged back into one 64 MiB block.
    for (const i of [1, 3, 0, 2]) quarters[i].dispose();
    const again = native.full([floats(64)], 2, 'float32', 'cpu');
    expect(arena().carvedBytes).toBe(carved);
    again.dispose();
  });

  it('a loop of varying sizes keeps the carved range near its peak use', () => {
    const before = native.cpuCache({ resetPeak: true }).arena!;
    for (let step = 0; step < 20; step++) {
      // Like a network: sizes change layer by layer, two or three tensors alive at a time.
      let prev = native.full([floats(40)], step, 'float32', 'cpu');
      for (const mib of [10, 25, 5, 33, 12, 7, 40]) {
        const next = native.full([floats(mib)], step, 'float32', 'cpu');
        prev.dispose();
        prev = next;
      }
      prev.dispose();
    }
    const after = arena();
    const peakUse = after.peakUsedBytes - before.usedBytes;
    expect(peakUse).toBeLessThanOrEqual(80 * MiB);
    // An exact-size cache would hold one block of every size here (172 MiB on top of the peak).
    expect(after.carvedBytes - before.carvedBytes).toBeLessThanOrEqual(peakUse + 8 * MiB);
  });

  it('releaseCpuCache returns idle pages; the memory reads as the values written afterwards', () => {
    const t = native.full([floats(32)], 7, 'float32', 'cpu');
    t.dispose();
    expect(native.cpuCache().cachedBytes).toBeGreaterThanOrEqual(32 * MiB);
    native.releaseCpuCache();
    expect(native.cpuCache().cachedBytes).toBe(0);
    const u = native.full([floats(32)], 3, 'float32', 'cpu');
    const v = native.toTypedArray(u) as Float32Array;
    expect(v[0]).toBe(3);
    expect(v[v.length - 1]).toBe(3);
    u.dispose();
  });

  // The arena asks for transparent huge pages (host_arena.cpp): where the kernel honours the request
  // ("madvise" or "always"), filling a new 64 MiB tensor leaves most of it in 2 MiB pages, and
  // NNLAB_HUGE_PAGES=0 stops asking. Measured in child processes so each reads its own flags.
  it('asks the kernel for huge pages, unless NNLAB_HUGE_PAGES=0', () => {
    const thpFile = '/sys/kernel/mm/transparent_hugepage/enabled';
    const mode = existsSync(thpFile) ? (/\[(\w+)\]/.exec(readFileSync(thpFile, 'utf8'))?.[1] ?? 'unknown') : 'absent';
    const hugeMiB = (env: Record<string, string>) =>
      Number(
        childAddonResults(
          env,
          1,
          `const huge = () => Number(/AnonHugePages:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]) / 1024;
           const before = huge();
           const t = addon.full([${floats(64)}], 1, 'float32', 'cpu');
           out.push(String(huge() - before));
           t.dispose();`,
        )[0],
      );
    if (mode !== 'madvise' && mode !== 'always') {
      // Nothing to measure: the kernel has no THP or refuses it for everyone.
      console.log(`transparent huge pages are '${mode}' here: only the flag is checked`);
      expect(childAddonResults({ NNLAB_HUGE_PAGES: '0' }, 1, `out.push(addon.nativeFlags().flags.NNLAB_HUGE_PAGES)`)).toEqual(['0']);
      return;
    }
    expect(hugeMiB({})).toBeGreaterThanOrEqual(48);
    // "always" hands out huge pages whatever the arena asks for.
    if (mode === 'madvise') expect(hugeMiB({ NNLAB_HUGE_PAGES: '0' })).toBeLessThan(8);
  });
});
