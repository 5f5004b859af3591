// The PyTorch-shaped API against PyTorch itself (test/fixtures/pytorch_shaped.json, made by
// scripts/fixtures/torch_pytorch_shaped.py with python3-torch 1.13): a model declared by fields
// only registers what PyTorch registers, under the same names; schedules give PyTorch's learning
// rates for two parameter groups; gradient clipping gives PyTorch's gradients.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import * as nnlab from '../../lib/index.js';
import { ArgumentError, data, nn, ones, ops, optim, packageRoot, tensor, Tensor, tidy, zeros } from '../../lib/index.js';

const fx = JSON.parse(readFileSync(join(packageRoot(), 'test/fixtures/pytorch_shaped.json'), 'utf8'));

/** The same class as FieldNet in the fixture script: fields only, no registerModule(). */
class FieldNet extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3);
  bn1 = new nn.BatchNorm2d(8);
  pool = new nn.MaxPool2d(2);
  layers = [new nn.Linear(8 * 13 * 13, 32), new nn.Linear(32, 16)];
  heads = new Map([
    ['cls', new nn.Linear(16, 10)],
    ['aux', new nn.Linear(16, 2)],
  ]);
  scale = nn.parameter(ones([1]));
  steps_seen = nn.buffer(zeros([1]));
  forward(x: Tensor): Tensor {
    x = this.pool.forward(ops.relu(this.bn1.forward(this.conv1.forward(x))));
    x = ops.flatten(x, 1);
    for (const layer of this.layers) x = ops.relu(layer.forward(x));
    // The aux head joins the logits as a per-row shift, so that every parameter gets a gradient.
    const aux = ops.mean(this.heads.get('aux')!.forward(x), 1, true);
    return ops.add(ops.mul(this.heads.get('cls')!.forward(x), this.scale), aux);
  }
}

describe('modules declared by fields', () => {
  it('register what PyTorch registers, in its order and under its names', () => {
    const m = new FieldNet();
    expect(m.numParameters()).toBe(fx.fieldNet.numParameters);
    expect(m.namedParameters().map(([n]) => n)).toEqual(fx.fieldNet.parameterNames);
    expect([...m.stateDict().keys()]).toEqual(fx.fieldNet.stateDictNames);
    m.eval();
    expect(m.bn1.training || m.layers[1].training || m.heads.get('aux')!.training).toBe(false);
    m.train();
    expect(m.bn1.training && m.layers[0].training).toBe(true);
  });

  it('training on MNIST changes every parameter; zeroGrad() clears every gradient', () => {
    const m = new FieldNet();
    const ds = data.loadDataset('mnist');
    const x = tidy(() => data.normalize(data.toUnitFloat(data.rowsOf(ds.train.images, 0, 256)), { mean: 0.1307, std: 0.3081 })).keep();
    const y = data.rowsOf(ds.train.labels, 0, 256).keep();
    const before = new Map(m.namedParameters().map(([n, p]) => [n, Float32Array.from(p.data())]));
    const opt = new optim.Adam(m.parameters(), { lr: 1e-2 });
    const losses: number[] = [];
    for (const [xb, yb] of new data.DataLoader(data.tensorDataset(x, y), { batchSize: 32, shuffle: true, seed: 1 })) {
      const loss = ops.crossEntropy(m.forward(xb), yb);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    for (const [n, p] of m.namedParameters()) {
      const b = before.get(n)!,
        a = p.data();
      expect(
        a.some((v, i) => v !== b[i]),
        `${n} changed`,
      ).toBe(true);
    }
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('hand registration and fields do not count a module twice (Sequential keeps its layers array)', () => {
    const s = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2));
    expect(s.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    class Wrapper extends nn.Module {
      body = s;
      forward(x: Tensor): Tensor {
        return this.body.forward(x);
      }
    }
    expect(new Wrapper().numParameters()).toBe(4 * 3 + 3 + 3 * 2 + 2);
  });

  it("the random generator no longer shadows TypeScript's Generator<T>", () => {
    expect('Generator' in nnlab).toBe(false);
    expect(new nnlab.RandomGenerator(1).seed).toBe(1n);
  });
});

describe('optimizer parameter groups', () => {
  it('each group steps with its own lr and weight decay', () => {
    const a = tensor([1, 2], { requiresGrad: true }),
      b = tensor([1, 2], { requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.01, weightDecay: 0.5 }], { lr: 0.1 });
    tidy(() => ops.sum(ops.add(a, b)).backward()); // every gradient is 1
    opt.step();
    expect(Array.from(a.data())).toEqual([1 - 0.1, 2 - 0.1].map(Math.fround));
    // SGD's L2 weight decay adds wd * w to the gradient: b - lr * (1 + 0.5 b).
    expect(Array.from(b.data()).map((v) => +v.toFixed(6))).toEqual([1 - 0.01 * 1.5, 2 - 0.01 * 2].map((v) => +v.toFixed(6)));
    expect(() => new optim.SGD([{ params: [a] }, { params: [a] }], { lr: 0.1 })).toThrow(ArgumentError);
  });
});

describe('learning-rate schedules match PyTorch with two parameter groups', () => {
  const makers: Record<string, (o: optim.Optimizer) => { step(metric?: number): void }> = {
    'StepLR(3, 0.5)': (o) => new optim.StepLR(o, 3, 0.5),
    'MultiStepLR([2, 5, 9], 0.1)': (o) => new optim.MultiStepLR(o, [2, 5, 9], 0.1),
    'ExponentialLR(0.8)': (o) => new optim.ExponentialLR(o, 0.8),
    'CosineAnnealingLR(10, 0.001)': (o) => new optim.CosineAnnealingLR(o, 10, 0.001),
    'LinearLR(0.25, 1, 4)': (o) => new optim.LinearLR(o, 0.25, 1, 4),
    'OneCycleLR([1, 0.1], 13)': (o) => new optim.OneCycleLR(o, [1, 0.1], 13),
    'ReduceLROnPlateau(factor 0.5, patience 2)': (o) => new optim.ReduceLROnPlateau(o, { factor: 0.5, patience: 2 }),
  };
  for (const [name, make] of Object.entries(makers))
    it(name, () => {
      const opt = new optim.SGD(
        [
          { params: [tensor([0, 0], { requiresGrad: true })], lr: 0.1 },
          { params: [tensor([0, 0], { requiresGrad: true })], lr: 0.01 },
        ],
        { lr: 0.1 },
      );
      const s = make(opt);
      const got = [opt.paramGroups.map((g) => g.lr)];
      for (let i = 0; i < 12; i++) {
        s.step(fx.plateauMetrics[i]);
        got.push(opt.paramGroups.map((g) => g.lr));
      }
      const want: number[][] = fx.schedules[name];
      got.forEach((row, i) => row.forEach((v, g) => expect(v, `step ${i} group ${g}`).toBeCloseTo(want[i][g], 10)));
    });
});

describe('gradient clipping matches torch.nn.utils', () => {
  const withGrads = () =>
    (fx.clip.grads as number[][]).map((g, i) => {
      const shape = i === 0 ? [2] : [2, 2];
      const p = zeros(shape).requiresGrad_();
      p.grad = tensor(Float32Array.from(g), shape);
      return p;
    });
  const grads = (ps: Tensor[]) => ps.map((p) => Array.from(p.grad!.data()));
  const close = (a: number[][], b: number[][]) => a.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(b[i][j], 5)));

  it('by norm (2 and infinity) and by value', () => {
    let ps = withGrads();
    expect(optim.clipGradNorm_(ps, 2)).toBeCloseTo(fx.clip.norm, 5);
    close(grads(ps), fx.clip.byNorm);
    ps = withGrads();
    expect(optim.clipGradNorm_(ps, 1, Infinity)).toBeCloseTo(fx.clip.infNorm, 5);
    close(grads(ps), fx.clip.byInfNorm);
    ps = withGrads();
    optim.clipGradValue_(ps, 1.5);
    close(grads(ps), fx.clip.byValue);
    expect(() => optim.clipGradNorm_(ps, -1)).toThrow(ArgumentError);
  });
});
