// optim.WeightAverage: the exponential moving average of the weights that `nnlab train` evaluates.
import { describe, expect, it } from 'vitest';

import { ArgumentError, RandomGenerator, backward, noGrad, nn, ops, optim, tensor } from '../../lib/index.js';

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

  it('after many Adam steps holds the bits of the per-tensor mul, mul, add it fuses', () => {
    // A 784-32-10 perceptron trained for 40 steps: the fused update over every tensor in one call
    // must leave exactly the weights the former per-tensor op chain left (same rounding, same order).
    const gen = new RandomGenerator(3);
    const m = new nn.Sequential(new nn.Linear(784, 32, { generator: gen }), new nn.ReLU(), new nn.Linear(32, 10, { generator: gen }));
    const opt = new optim.Adam(m.parameters(), { lr: 1e-2 });
    const avg = new optim.WeightAverage(m, 0.95);
    let ref = m.parameters().map((p) => ops.clone(p).keep());
    const x = ops.randn([64, 784], { generator: gen }).keep();
    const y = tensor(
      Int32Array.from({ length: 64 }, (_, i) => (i * 7) % 10),
      [64],
    ).keep();
    for (let t = 1; t <= 40; t++) {
      backward(ops.crossEntropy(m.forward(x), y));
      opt.step();
      opt.zeroGrad();
      avg.update();
      const d = Math.min(0.95, (1 + t) / (10 + t));
      ref = m.parameters().map((p, i) => {
        const next = noGrad(() => ops.add(ops.mul(ref[i], d), ops.mul(p, 1 - d))).keep();
        ref[i].dispose();
        return next;
      });
    }
    const bits = (a: ArrayLike<number>) => Buffer.from(Float32Array.from(a).buffer);
    const averaged = avg.withAveraged(() => values(m));
    averaged.forEach((v, i) => expect(bits(v).equals(bits(ref[i].data() as Float32Array)), `parameter ${i}`).toBe(true));
    [avg, opt, m, x, y, ...ref].forEach((t) => t.dispose());
  });
});
