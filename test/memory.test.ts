// Native storage must not leak: explicit dispose() frees at once, and tensors that are simply
// dropped are freed by the GC finaliser. Node runs N-API finalisers on a later turn of the event
// loop, so dropped tensors are reclaimed in loops that await (as nnlab's training loops do);
// a synchronous loop that neither disposes nor awaits holds them until it yields.
import { describe, expect, it } from 'vitest';

import { native } from './support/native.js';
import { collect, MB, rssMB, turn } from './support/memory.js';

describe('memory', () => {
  it('100k create/dispose cycles leave RSS flat', async () => {
    const cycle = () => {
      const t = native.full([1024], 1, 'float32', 'cpu');
      const u = native.reshape(t, [32, 32]);
      t.dispose();
      u.dispose();
    };
    // The first round reaches the allocator's and V8's steady state; later rounds must not grow.
    const after: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100_000; i++) cycle();
      await collect();
      after.push(rssMB());
    }
    console.log(`create/dispose, 3 rounds of 100k (4 KiB each): RSS after each round ${after.map((v) => v.toFixed(1)).join(', ')} MiB`);
    expect(after[2] - after[0]).toBeLessThan(8);
  });

  it('dropped tensors are reclaimed by the GC finaliser', async () => {
    // What the dropped tensors still hold, read from the native side: live handles and the CPU
    // arena's bytes in use (1 MiB tensors come from it). Neither may grow from round to round. The resident set is bounded only by its peak: freed arena memory stays
    // resident for reuse (up to the cache's cap), and how much of it a round touches depends on how
    // far the GC's finalisers lag behind the loop, which a loaded machine stretches.
    const usedMB = () => (native.cpuCache().arena?.usedBytes ?? 0) / MB;
    await collect();
    const base = rssMB(),
      baseUsed = usedMB(),
      baseHandles = native.liveTensorHandles();
    const after: number[] = [],
      used: number[] = [],
      handles: number[] = [];
    let peak = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) {
        const t = native.full([256 * 1024], i, 'float32', 'cpu'); // 1 MiB, never disposed
        expect(t.numel).toBe(256 * 1024);
        if (i % 50 === 49) {
          await turn();
          peak = Math.max(peak, rssMB());
        }
      }
      await collect();
      after.push(rssMB());
      used.push(usedMB());
      handles.push(native.liveTensorHandles());
    }
    console.log(
      `1000 x 1 MiB dropped tensors, 3 rounds: RSS ${base.toFixed(1)} -> after each round ${after.map((v) => v.toFixed(1)).join(', ')} MiB, ` +
        `peak ${peak.toFixed(1)} MiB; arena in use ${baseUsed.toFixed(1)} -> ${used.map((v) => v.toFixed(1)).join(', ')} MiB; ` +
        `handles ${baseHandles} -> ${handles.join(', ')}`,
    );
    // 3000 MiB were allocated in all and never disposed: the process must stay far below that.
    expect(peak - base).toBeLessThan(600);
    // Every round ends where the first did, and that is the start plus at most the loop's last
    // tensor (1 MiB, one handle), which may still be reachable from the stack.
    expect(used).toEqual([used[0], used[0], used[0]]);
    expect(handles).toEqual([handles[0], handles[0], handles[0]]);
    expect(used[0] - baseUsed).toBeLessThanOrEqual(1);
    expect(handles[0] - baseHandles).toBeLessThanOrEqual(1);
  });

  it('disposing twice is harmless and use after dispose is a typed error', () => {
    const t = native.full([4], 1, 'float32', 'cpu');
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => native.clone(t)).toThrow(/disposed/);
  });
});
