// GC pressure of tensors made inside tidy(): while a scope is open, new native handles are not
// reported to V8 as external memory (the scope frees them); one that leaves the scopes is reported
// again, so the GC still reclaims what the caller drops. Its own file: it loads the TypeScript
// layer, which memory.test.ts (raw native handles only) does not.
import { describe, expect, it } from 'vitest';

import { keep, ops, tidy } from '../lib/index.js';
import { collect, rssMB, turn } from './support/memory.js';

describe('memory of scoped tensors', () => {
  it('tensors made inside tidy() and handed out of it are reported to the GC again, and reclaimed when dropped', async () => {
    // Inside a scope new handles are not reported as external memory (the scope frees them); a
    // tensor returned out of the outermost tidy, or kept, is the caller's and must count again,
    // or V8 would never collect the ones the caller drops.
    let peak = 0;
    const base = rssMB();
    for (let i = 0; i < 1500; i++) {
      const t = i % 2 ? tidy(() => ops.full([256 * 1024], i)) : tidy(() => keep(ops.full([256 * 1024], i))); // 1 MiB, dropped
      expect(t.shape[0]).toBe(256 * 1024);
      if (i % 50 === 49) {
        await turn();
        peak = Math.max(peak, rssMB());
      }
    }
    await collect();
    console.log(`1500 x 1 MiB tensors returned from tidy and dropped: RSS ${base.toFixed(1)} -> peak ${peak.toFixed(1)} MiB`);
    expect(peak - base).toBeLessThan(600);
  });
});
