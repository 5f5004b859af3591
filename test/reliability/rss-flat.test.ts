// A long run: 10,000 training steps of a small MLP through the real loop pieces (tidy, forward,
// backward, Adam, zeroGrad). RSS after the first 1,000 steps (allocator and JIT warm) must stay
// flat to the end: a leak of one tensor handle or one gradient per step would add several MiB.
import { describe, expect, it } from 'vitest';

import { RandomGenerator, nn, ops, optim, tensor, tidy } from '../../lib/index.js';
import { collect, rssMB } from '../support/memory.js';

describe('long-run memory', () => {
  it('10,000 training steps keep RSS flat', async () => {
    const gen = new RandomGenerator(0);
    const model = new nn.Sequential(new nn.Linear(64, 128, { generator: gen }), new nn.ReLU(), new nn.Linear(128, 10, { generator: gen }));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const x = tensor(
      Float32Array.from({ length: 32 * 64 }, (_, i) => Math.sin(i)),
      [32, 64],
    ).keep();
    const y = tensor(
      Int32Array.from({ length: 32 }, (_, i) => i % 10),
      [32],
    ).keep();
    const samples: number[] = [];
    for (let step = 1; step <= 10_000; step++) {
      tidy(() => {
        ops.crossEntropy(model.forward(x), y).backward();
        opt.step();
      });
      opt.zeroGrad();
      if (step % 1000 === 0) {
        await collect();
        samples.push(rssMB());
      }
    }
    console.log(`RSS every 1000 steps (MiB): ${samples.map((v) => v.toFixed(1)).join(', ')}`);
    const warm = samples[0];
    expect(Math.max(...samples.slice(1)) - warm).toBeLessThan(16);
  }, 600_000);
});
