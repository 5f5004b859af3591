// The Ensemble module: forward() is the log of the mean of the members' softmax (so softmax of it
// is the predictive distribution and cross-entropy on it the ensemble NLL), the stacked path
// equals member-by-member evaluation, predictProba / memberProba, save/load, the batched linear
// op's gradient, and typed errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  ArgumentError,
  backward,
  Ensemble,
  ensemble,
  RandomGenerator,
  IOError,
  loadEnsemble,
  metrics,
  mlp,
  nn,
  noGrad,
  ops,
  saveEnsemble,
  seedCnn,
  ShapeError,
  StackedModel,
  tensor,
  tidy,
} from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { gradcheck } from '../support/gradcheck.js';
import { bnMlp as bnMlpOf } from '../support/ensemble.js';
import { expectClose, randomArray } from '../support/native.js';

const bnMlp = (seed: number) => bnMlpOf(seed, 32);

const tmp = () => mkdtempSync(join(tmpdir(), 'nnlab-ensemble-'));

/** Members' logits one by one, [M, B, K], without stacking. */
function memberByMember(members: readonly nn.Module[], x: Tensor): Float32Array[] {
  return members.map((m) => Float32Array.from(m.forward(x).data() as Float32Array));
}

const images = (n: number, seed: number) => tensor(randomArray(n * 784, seed, -1, 2), [n, 1, 28, 28]);

describe('Ensemble', () => {
  it('forward is log(mean softmax): its softmax is the predictive distribution, cross-entropy on it the ensemble NLL', () => {
    tidy(() => {
      const members = [1, 2, 3].map((s) => seedCnn(new RandomGenerator(s)));
      const ens = new Ensemble(members).eval();
      const x = images(6, 7);
      const labels = tensor([0, 1, 2, 3, 4, 5], { dtype: 'int32' });
      const out = noGrad(() => ens.forward(x));
      expect(out.shape).toEqual([6, 10]);
      // Reference in float64 from each member alone.
      const logits = memberByMember(members, x);
      const mean = new Float64Array(60);
      for (const z of logits)
        for (let i = 0; i < 6; i++) {
          const row = Array.from(z.subarray(i * 10, i * 10 + 10));
          const mx = Math.max(...row),
            e = row.map((v) => Math.exp(v - mx)),
            s = e.reduce((a, b) => a + b, 0);
          e.forEach((v, k) => {
            mean[i * 10 + k] += v / s / 3;
          });
        }
      expectClose(out.data(), Array.from(mean, Math.log), 1e-5, 1e-5, 'log mean softmax');
      expectClose(ops.softmax(out, 1).data(), mean, 1e-5, 1e-6, 'softmax(forward) = mean softmax');
      // Its exp already sums to one, so softmax changes nothing and cross-entropy is -log p(y).
      const ce = noGrad(() => ops.crossEntropy(out, labels)).item();
      expect(ce).toBeCloseTo(metrics.nll(Float32Array.from(mean), [0, 1, 2, 3, 4, 5]), 5);
      // predictProba is the same distribution.
      expectClose(ens.predictProba(x), mean, 1e-5, 1e-6, 'predictProba');
    });
  });

  it('the stacked pass equals member-by-member evaluation, in eval and in train mode', () => {
    tidy(() => {
      for (const make of [(s: number) => seedCnn(new RandomGenerator(s)), bnMlp]) {
        const members = [4, 5].map(make);
        const ens = new Ensemble(members);
        expect(ens.stacked).toBeInstanceOf(StackedModel);
        const x = images(8, 3);
        for (const mode of ['eval', 'train'] as const) {
          ens[mode]();
          // Train-mode BatchNorm updates running statistics: compare from identical states.
          const before = members.map((m) => [...m.stateDict()].map(([k, t]) => [k, ops.clone(t)] as const));
          const stacked = noGrad(() => ens.memberLogits(x));
          const afterStacked = members.map((m) => [...m.stateDict()].map(([, t]) => Float32Array.from(t.data())));
          members.forEach((m, i) => m.loadStateDict(new Map(before[i])));
          if (mode === 'train')
            members.forEach((m) =>
              [...m.stateDict()].forEach(([k, t]) => {
                if (k.endsWith('num_batches_tracked')) ops.copyInto(t, ops.full([], 0, { dtype: 'int32' }));
              }),
            );
          const single = noGrad(() => memberByMember(members, x));
          const flat = stacked.data() as Float32Array;
          single.forEach((z, i) => expectClose(flat.subarray(i * z.length, (i + 1) * z.length), z, 1e-5, 1e-5, `${mode} member ${i}`));
          // Running statistics written back by the stacked pass equal those of the members' own passes.
          members.forEach((m, i) =>
            [...m.stateDict()].forEach(([k, t], j) => {
              if (!k.endsWith('num_batches_tracked')) expectClose(afterStacked[i][j], t.data(), 1e-5, 1e-6, `${mode} member ${i} ${k}`);
            }),
          );
        }
      }
    });
  });

  it('members of different architectures run one by one', () => {
    tidy(() => {
      const members = [seedCnn(new RandomGenerator(1)), mlp(new RandomGenerator(2))];
      const ens = new Ensemble(members).eval();
      expect(ens.stacked).toBeNull();
      expect(ens.whyNotStacked).toMatch(/member 1 is a Sequential|parameters/);
      const x = images(4, 9);
      const p = ens.memberProba(x, { batchSize: 3 });
      expect(p.length).toBe(2 * 4 * 10);
      const want = noGrad(() => members.map((m) => ops.softmax(m.forward(x), 1).data() as Float32Array));
      expectClose(p.subarray(0, 40), want[0], 1e-6, 1e-7, 'member 0');
      expectClose(p.subarray(40), want[1], 1e-6, 1e-7, 'member 1');
      // Mutual information from memberProba: positive where the two disagree.
      const mi = metrics.mutualInformation(p, [2, 4, 10]);
      expect(mi.every((v) => v >= 0)).toBe(true);
    });
  });

  it('memberProba in batches equals one pass, and restores the training mode', () => {
    tidy(() => {
      const ens = new Ensemble([bnMlp(1), bnMlp(2), bnMlp(3)]);
      ens.train();
      const x = images(10, 5);
      const whole = ens.memberProba(x, { batchSize: 1000 });
      const parts = ens.memberProba(x, { batchSize: 4 });
      expectClose(parts, whole, 1e-6, 1e-7, 'batched memberProba');
      expect(ens.training && ens.members.every((m) => m.training)).toBe(true);
      // Rows of every member sum to one.
      for (let r = 0; r < 30; r++) expect(whole.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    });
  });

  it('is a Module: parameters, train/eval, gradients through forward reach members and input', () => {
    tidy(() => {
      const members = [bnMlp(1), bnMlp(2)];
      const ens = new Ensemble(members);
      expect(ens.parameters().length).toBe(members.reduce((n, m) => n + m.parameters().length, 0));
      expect([...ens.stateDict().keys()][0]).toBe('members.0.1.weight');
      ens.eval();
      expect(members.every((m) => m.namedModules().every(([, s]) => !s.training))).toBe(true);
      const x = images(3, 2).requiresGrad_();
      const loss = ops.crossEntropy(ens.forward(x), tensor([1, 2, 3], { dtype: 'int32' }));
      backward(loss);
      expect(x.grad!.shape).toEqual([3, 1, 28, 28]);
      expect(members.every((m) => m.parameters().every((p) => p.grad !== null))).toBe(true);
      // The input gradient equals the one through member-by-member evaluation (replicated input sums back).
      const gStacked = Float32Array.from(x.grad!.data() as Float32Array);
      ens.zeroGrad();
      const x2 = ops.detach(x).requiresGrad_();
      const logits = ops.stack(
        members.map((m) => m.forward(x2)),
        0,
      );
      backward(ops.crossEntropy(ensemble.meanOfSoftmaxLog(logits), tensor([1, 2, 3], { dtype: 'int32' })));
      expectClose(gStacked, x2.grad!.data(), 1e-4, 1e-6, 'input gradient');
    });
  });

  it('meanOfSoftmaxLog has the gradient of log(mean(softmax)) (finite differences)', () => {
    gradcheck(
      ([z]) => ops.sum(ops.mul(ensemble.meanOfSoftmaxLog(z), tensor(randomArray(12, 5)).reshape([3, 4]))),
      [{ data: randomArray(2 * 3 * 4, 8, -3, 3), shape: [2, 3, 4] }],
      { label: 'meanOfSoftmaxLog' },
    );
  });

  it('batchedLinear gradients (finite differences)', () => {
    const w = tensor(randomArray(3 * 2 * 4, 3)).reshape([3, 2, 4]);
    gradcheck(
      ([x, wt]) => ops.sum(ops.mul(ensemble.batchedLinear(x, wt), tensor(randomArray(3 * 5 * 2, 4)).reshape([3, 5, 2]))),
      [
        { data: randomArray(3 * 5 * 4, 1), shape: [3, 5, 4] },
        { data: randomArray(3 * 2 * 4, 2), shape: [3, 2, 4] },
      ],
      { label: 'batchedLinear' },
    );
    expect(() => ensemble.batchedLinear(tensor(randomArray(12, 1)).reshape([3, 4]), w)).toThrow(ShapeError);
    expect(() => ensemble.batchedLinear(tensor(randomArray(24, 1)).reshape([2, 3, 4]), w)).toThrow(/\[M, B, F\]/);
  });

  it('saves to one safetensors file with members.<i>. keys and loads through a factory', () => {
    const dir = tmp();
    const path = join(dir, 'ensemble.safetensors');
    const members = [bnMlp(1), bnMlp(2), bnMlp(3)];
    const ens = new Ensemble(members);
    saveEnsemble(path, ens, { architecture: 'bn-mlp-32' });
    const { ensemble: back, metadata } = loadEnsemble(path, (i, meta) => {
      expect(meta.architecture).toBe('bn-mlp-32');
      return bnMlp(100 + i);
    });
    expect(back.size).toBe(3);
    expect(JSON.parse(metadata.nnlab_ensemble)).toEqual({ format: 1, members: 3 });
    for (const [k, t] of ens.stateDict()) expect(Array.from(back.stateDict().get(k)!.data()), k).toEqual(Array.from(t.data()));
    tidy(() => {
      const x = images(5, 1);
      expect(back.eval().predictProba(x)).toEqual(ens.eval().predictProba(x));
    });
    // Wrong architecture, wrong file.
    expect(() => loadEnsemble(path, () => mlp(new RandomGenerator(0)))).toThrow(ArgumentError);
    const bad = join(dir, 'bad.safetensors');
    writeFileSync(bad, 'nope');
    expect(() => loadEnsemble(bad, () => bnMlp(0))).toThrow(IOError);
    expect(() => loadEnsemble(join(dir, 'missing.safetensors'), () => bnMlp(0))).toThrow(IOError);
  });

  it('typed errors', () => {
    expect(() => new Ensemble([])).toThrow(ArgumentError);
    const m = bnMlp(1);
    expect(() => new Ensemble([m, m])).toThrow(/twice/);
    expect(() => new StackedModel([bnMlp(1), new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 10))])).toThrow(ShapeError);
    expect(() => new StackedModel([new nn.Sequential(new nn.Flatten(0), new nn.Linear(784, 10))])).toThrow(/Flatten\(0, -1\)/);
    expect(() => new StackedModel([new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 10), new nn.LogSoftmax())])).toThrow(
      /no stacked version of LogSoftmax/,
    );
    tidy(() => {
      const s = new StackedModel([bnMlp(1), bnMlp(2)]);
      expect(() => s.forward(images(2, 1))).toThrow(/\[B, 2\*784, \.\.\.\] \(2 members x 784 channels\), got \[2, 784\]/);
      expect(() => s.stackInputs([images(2, 1)])).toThrow(/1 inputs for 2 members/);
      const a = bnMlp(3),
        b = bnMlp(4);
      b.eval();
      expect(() => new StackedModel([a, b]).memberOutputs(images(2, 1))).toThrow(/different train\/eval modes/);
      expect(() => new Ensemble([bnMlp(1)]).memberProba(images(2, 1), { batchSize: 0 })).toThrow(ArgumentError);
    });
  });
});
