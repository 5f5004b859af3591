// Modules, initialisers, optimizers and schedules through the public API.
import { describe, expect, it } from 'vitest';

import { ArgumentError, backward, RandomGenerator, nn, ops, optim, seedCnn, ShapeError, tensor, tidy } from '../../lib/index.js';

describe('modules', () => {
  it('the seed CNN has PyTorch names and 225,034 parameters', () => {
    const m = seedCnn();
    expect(m.numParameters()).toBe(225034);
    expect(m.namedParameters().map(([n]) => n)).toEqual([
      '0.weight',
      '0.bias',
      '3.weight',
      '3.bias',
      '7.weight',
      '7.bias',
      '9.weight',
      '9.bias',
    ]);
    m.dispose();
  });

  it('batch norm buffers, train/eval and state dicts', () => {
    const m = new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3), new nn.ReLU());
    expect([...m.stateDict().keys()]).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    const x = ops.randn([8, 4]);
    tidy(() => m.forward(x));
    const rm = m.stateDict().get('1.running_mean')!.data();
    expect(Array.from(rm).some((v) => v !== 0)).toBe(true);
    expect(m.stateDict().get('1.num_batches_tracked')!.item()).toBe(1);
    m.eval();
    expect(m.training).toBe(false);
    tidy(() => m.forward(x));
    expect(Array.from(m.stateDict().get('1.running_mean')!.data())).toEqual(Array.from(rm));
    const other = new nn.Sequential(new nn.Linear(4, 3), new nn.BatchNorm1d(3), new nn.ReLU());
    other.loadStateDict(m.stateDict());
    expect(Array.from(other.stateDict().get('0.weight')!.data())).toEqual(Array.from(m.stateDict().get('0.weight')!.data()));
    expect(() => other.loadStateDict(new Map([['0.weight', tensor([1])]]))).toThrow(/missing keys \[0\.bias/);
    expect(() => other.loadStateDict(new Map([['0.weight', ops.zeros([2, 2])]]), false)).toThrow(ShapeError);
  });

  it('initialisers follow PyTorch bounds and are seeded', () => {
    const a = new nn.Linear(100, 50, { generator: new RandomGenerator(3) });
    const b = new nn.Linear(100, 50, { generator: new RandomGenerator(3) });
    expect(Array.from(a.weight.data())).toEqual(Array.from(b.weight.data()));
    const w = a.weight.data();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(100));
    const k = nn.init.kaimingNormal_(ops.zeros([256, 512]), { nonlinearity: 'relu' });
    const kv = k.data();
    const std = Math.sqrt(kv.reduce((s, v) => s + v * v, 0) / kv.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / 512), 2);
    const xv = nn.init.xavierUniform_(ops.zeros([30, 20])).data();
    expect(Math.max(...xv.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 50));
  });
});

describe('optimizers', () => {
  it('SGD with momentum and Adam reduce a quadratic; state dicts round-trip', () => {
    for (const make of [
      (p: ReturnType<typeof tensor>[]) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }),
      (p: ReturnType<typeof tensor>[]) => new optim.Adam(p, { lr: 0.1 }),
      (p: ReturnType<typeof tensor>[]) => new optim.AdamW(p, { lr: 0.1 }),
    ]) {
      const w = tensor([3, -2, 1], { requiresGrad: true });
      const opt = make([w]);
      const loss = () =>
        tidy(() => {
          const l = ops.sum(ops.square(w));
          backward(l);
          return l.item();
        });
      const first = loss();
      opt.step();
      opt.zeroGrad();
      for (let i = 0; i < 30; i++) {
        loss();
        opt.step();
        opt.zeroGrad();
      }
      expect(loss()).toBeLessThan(first / 5);
      opt.zeroGrad();
      const s = opt.stateDict();
      const w2 = tensor(Array.from(w.data()), { requiresGrad: true });
      const opt2 = make([w2]);
      opt2.loadStateDict(s);
      expect(opt2.stepCount).toBe(opt.stepCount);
    }
  });

  it('bad hyper-parameters are typed errors', () => {
    const w = tensor([1], { requiresGrad: true });
    expect(() => new optim.SGD([w], { lr: -1 })).toThrow(ArgumentError);
    expect(() => new optim.SGD([w], { lr: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => new optim.Adam([w], { betas: [1.2, 0.9] })).toThrow(ArgumentError);
    expect(() => new optim.Adam([tensor([1])])).toThrow(/does not require gradients/);
  });

  it('step and cosine schedules', () => {
    const w = tensor([1], { requiresGrad: true });
    const o = new optim.SGD([w], { lr: 1 });
    const s = new optim.StepLR(o, 2, 0.5);
    const lrs = [];
    for (let i = 0; i < 5; i++) {
      s.step();
      lrs.push(o.lr);
    }
    expect(lrs).toEqual([1, 0.5, 0.5, 0.25, 0.25]);
    const o2 = new optim.SGD([w], { lr: 1 });
    const c = new optim.CosineAnnealingLR(o2, 4);
    const l2 = [];
    for (let i = 0; i < 4; i++) {
      c.step();
      l2.push(+o2.lr.toFixed(6));
    }
    expect(l2).toEqual([0.853553, 0.5, 0.146447, 0]);
  });
});

describe('determinism', () => {
  it('the same seed gives bit-identical training steps', () => {
    const run = () => {
      const g = new RandomGenerator(11);
      const m = new nn.Sequential(
        new nn.Linear(20, 16, { generator: g }),
        new nn.ReLU(),
        new nn.Dropout(0.3, g),
        new nn.Linear(16, 4, { generator: g }),
      );
      const opt = new optim.Adam(m.parameters());
      const x = ops.randn([32, 20], { generator: g }),
        y = tensor(
          Int32Array.from({ length: 32 }, (_, i) => i % 4),
          [32],
        );
      for (let i = 0; i < 5; i++)
        tidy(() => {
          backward(ops.crossEntropy(m.forward(x), y));
          opt.step();
          opt.zeroGrad();
        });
      return m.parameters().map((p) => Buffer.from(p.data().buffer));
    };
    const a = run(),
      b = run();
    a.forEach((buf, i) => expect(buf.equals(b[i])).toBe(true));
  });
});
