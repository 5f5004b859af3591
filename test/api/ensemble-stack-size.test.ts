// The stack size of batched ensemble training (lib/ensemble/stack-size.ts): measured on the host
// at first use, cached per host, model and batch, and without any effect on the members (the
// measurement runs in evaluation mode and puts the gradients back).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { data, ensemble, fitBatched, nn, RandomGenerator, seedCnn } from '../../lib/index.js';
import { bnMlp } from '../support/ensemble.js';

const SEEDS = [5, 6, 7];

/** Every parameter and buffer of a module, copied out. */
const stateOf = (m: nn.Module) => new Map([...m.stateDict()].map(([k, t]) => [k, Array.from(t.data() as ArrayLike<number>)]));

describe('ensemble stack size', () => {
  let train: data.TensorDataset;
  let dir: string;
  const env = process.env.NNLAB_CACHE_DIR;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nnlab-stack-'));
    process.env.NNLAB_CACHE_DIR = dir;
    const d = data.loadDataset('mnist');
    train = data.tensorDataset(data.toUnitFloat(data.rowsOf(d.train.images, 0, 96)).keep(), data.rowsOf(d.train.labels, 0, 96).keep());
  });
  afterAll(() => {
    if (env === undefined) delete process.env.NNLAB_CACHE_DIR;
    else process.env.NNLAB_CACHE_DIR = env;
    rmSync(dir, { recursive: true, force: true });
  });

  it('tries each split into stacks once', () => {
    expect(ensemble.stackCandidates(1)).toEqual([1]);
    expect(ensemble.stackCandidates(4)).toEqual([1, 2, 4]);
    // 5 and 6 members per stack would give 2 stacks as 4 does, only unbalanced.
    expect(ensemble.stackCandidates(7)).toEqual([1, 2, 3, 4, 7]);
  });

  it('measuring changes nothing: parameters, running statistics, dropout streams and gradients stay', () => {
    const members = SEEDS.map((seed) => bnMlp(seed, 32, { p: 0.3, seedOffset: 100 }));
    const before = members.map(stateOf);
    const gen = members.map((m) =>
      (
        m
          .namedModules()
          .map(([, c]) => c)
          .find((c) => c instanceof nn.Dropout) as nn.Dropout
      ).generator!.getState(),
    );
    const m = ensemble.measureStackSize(members, train, 32, 1);
    expect(ensemble.stackCandidates(3)).toContain(m.stackSize);
    expect(Object.keys(m.msPerMember).map(Number)).toEqual(ensemble.stackCandidates(3));
    for (const ms of Object.values(m.msPerMember)) expect(ms).toBeGreaterThan(0);
    members.forEach((mem, i) => {
      expect(stateOf(mem)).toEqual(before[i]);
      expect(
        (
          mem
            .namedModules()
            .map(([, c]) => c)
            .find((c) => c instanceof nn.Dropout) as nn.Dropout
        ).generator!.getState(),
      ).toEqual(gen[i]);
      expect(mem.training).toBe(true);
      for (const p of mem.parameters()) expect(p.grad).toBeNull();
    });
    members.forEach((mem) => mem.dispose());
  });

  it('fitBatched measures at first use, caches the choice, and reads it back', async () => {
    const file = ensemble.stackCacheFile();
    expect(file.startsWith(dir)).toBe(true);
    const lines: string[] = [];
    const run = async () => {
      const members = SEEDS.map((s) => seedCnn(new RandomGenerator(s)));
      const r = await fitBatched(members, train, { epochs: 1, batchSize: 32, seeds: SEEDS, progress: false, log: (l) => lines.push(l) });
      r.optimizer.dispose();
      const out = members.map(stateOf);
      members.forEach((m) => m.dispose());
      return out;
    };
    const first = await run();
    expect(lines.filter((l) => l.startsWith('stack size'))).toHaveLength(1);
    const cache = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { stackSize: number }>;
    const keys = Object.keys(cache);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/\|M3\|B32\|in1x28x28\|Sequential\(32x1x3x3,32,64x32x3x3,64,128x1600,128,10x128,10\)$/);
    // A cached choice is used without measuring again; forcing another size gives the seed CNN's
    // members bit for bit (each member's arithmetic does not depend on its stack's size).
    const second = await run();
    expect(lines.filter((l) => l.startsWith('stack size'))).toHaveLength(1);
    expect(second).toEqual(first);
    cache[keys[0]].stackSize = cache[keys[0]].stackSize === 1 ? 3 : 1;
    writeFileSync(file, JSON.stringify(cache));
    expect(await run()).toEqual(first);
    // A damaged cache is measured again and rewritten, not an error.
    writeFileSync(file, '{not json');
    await run();
    expect(lines.filter((l) => l.startsWith('stack size'))).toHaveLength(2);
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')) as object)).toEqual(keys);
  });
});
