// Native storage must not leak: explicit dispose() frees at once, and tensors that are simply
// dropped are freed by the GC finaliser (V8 is told about the external memory, so it collects).
import { describe, expect, it } from 'vitest';

import { native } from './support/native.js';

const MB = 1024 * 1024;
const rssMB = () => process.memoryUsage().rss / MB;

async function collect() {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('memory tests need node --expose-gc (set in vitest.config.ts)');
  for (let i = 0; i < 6; i++) {
    gc();
    // Finalisers run after the GC pass, on a later turn of the event loop.
    await new Promise((r) => setImmediate(r));
  }
}

describe('memory', () => {
  it('100k create/dispose cycles leave RSS flat', async () => {
    const cycle = () => {
      const t = native.full([1024], 1, 'float32', 'cpu');
      const u = native.reshape(t, [32, 32]);
      t.dispose();
      u.dispose();
    };
    for (let i = 0; i < 10_000; i++) cycle();
    await collect();
    const before = rssMB();
    for (let i = 0; i < 100_000; i++) cycle();
    await collect();
    const after = rssMB();
    console.log(`create/dispose x100k (4 KiB each): RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MiB`);
    expect(after - before).toBeLessThan(16);
  });

  it('1k dropped 1 MiB tensors are reclaimed by the GC finaliser', async () => {
    await collect();
    const before = rssMB();
    let peak = before;
    for (let i = 0; i < 1000; i++) {
      const t = native.full([256 * 1024], i, 'float32', 'cpu'); // 1 MiB, never disposed
      expect(t.numel).toBe(256 * 1024);
      if (i % 100 === 0) peak = Math.max(peak, rssMB());
    }
    await collect();
    const after = rssMB();
    console.log(`1000 x 1 MiB dropped tensors: RSS ${before.toFixed(1)} -> peak ${peak.toFixed(1)} -> ${after.toFixed(1)} MiB`);
    // 1000 MiB were allocated in all; what stays must be a small fraction of it.
    expect(after - before).toBeLessThan(64);
  });

  it('disposing twice is harmless and use after dispose is a typed error', () => {
    const t = native.full([4], 1, 'float32', 'cpu');
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => native.clone(t)).toThrow(/disposed/);
  });
});
