// optim.WeightAverage: the exponential moving average of the weights that `nnlab train` evaluates.
import { describe, expect, it } from 'vitest';

import { ArgumentError, RandomGenerator, nn, ops, optim, tensor } from '../../lib/index.js';

const values = (m: nn.Module) => m.parameters().map((p) => Array.from(p.data()));

describe('WeightAverage', () => {
  it('follows avg <- d avg + (1 - d) param with the warm-up d = min(decay, (1 + t) / (10 + t))', () => {
    const m = new nn.Linear(3, 2, { generator: new RandomGenerator(1) });
    const avg = new optim.WeightAverage(m, 0.9);
    const expected = values(m);
    for (let t = 1; t <= 30; t++) {
      // Move the weights as an optimizer would, in place.
      for (const p of m.parameters()) ops.copyInto(p, ops.add(p, ops.full(p.shape, 0.1 * Math.sin(t))));
      avg.update();
      const d = Math.min(0.9, (1 + t) / (10 + t));
      const now = values(m);
      expected.forEach((e, i) =>
        e.forEach((v, j) => {
          e[j] = d * v + (1 - d) * now[i][j];
        }),
      );
    }
    expect(avg.updates).toBe(30);
    const trained = values(m);
    const seen = avg.withAveraged(() => values(m));
    seen.flat().forEach((v, k) => expect(v).toBeCloseTo(expected.flat()[k], 5));
    // The trained weights are back afterwards, exactly.
    expect(values(m)).toEqual(trained);
    avg.copyToModel();
    expect(values(m)).toEqual(seen);
    avg.dispose();
    m.dispose();
  });

  it('restores from a saved state and rejects a state of another model', () => {
    const m = new nn.Linear(3, 2, { generator: new RandomGenerator(2) });
    const a = new optim.WeightAverage(m);
    for (const p of m.parameters()) ops.copyInto(p, ops.mul(p, 2));
    a.update();
    const b = new optim.WeightAverage(m);
    b.loadState(a.state());
    expect(b.updates).toBe(1);
    expect(b.withAveraged(() => values(m))).toEqual(a.withAveraged(() => values(m)));
    expect(() => b.loadState({ updates: 1, tensors: [tensor([1, 2])] })).toThrow(/2 parameters/);
    expect(() => b.loadState({ updates: 1, tensors: [ops.zeros([3, 3]), ops.zeros([2])] })).toThrow(/shape \[3, 3\], parameter 0 \[2, 3\]/);
    expect(() => new optim.WeightAverage(m, 1)).toThrow(ArgumentError);
    [a, b, m].forEach((x) => x.dispose());
  });
});
