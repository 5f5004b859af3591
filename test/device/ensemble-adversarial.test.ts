// attacks.ensembleAdversarialObjective, the Deep Ensembles adversarial training plugged into
// fitBatched: on a stacked batch it gives every member the gradient of J(x, y) + J(x', y) with x'
// the FGSM image against that member alone (checked against each member trained by itself with
// attacks.fgsm), its loss value is J(x) + J(x'), and eps 0 doubles the plain objective.
import { describe, expect, it } from 'vitest';

import { ArgumentError, attacks, backward, ensemble, RandomGenerator, nn, ops, tensor, tidy } from '../../lib/index.js';
import { relDiff } from '../support/ensemble.js';
import { randomArray, randomInts, testDevices } from '../support/native.js';

const M = 3,
  B = 8,
  K = 5,
  D = 36;
const RANGE = [-0.5, 2] as const;

function member(seed: number, device: 'cpu' | 'cuda'): nn.Module {
  const g = new RandomGenerator(seed);
  return new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(D, 16, { generator: g }),
    new nn.BatchNorm1d(16),
    new nn.ReLU(),
    new nn.Linear(16, K, { generator: g }),
  ).to(device);
}

function grads(m: nn.Module): Float32Array[] {
  return m.parameters().map((p) => Float32Array.from(p.grad!.data() as Float32Array));
}

describe.each(testDevices())('ensemble adversarial objective on %s', (device) => {
  const xs = Array.from({ length: M }, (_, m) => randomArray(B * D, 10 + m, -0.5, 2));
  const ys = Array.from({ length: M }, (_, m) => randomInts(B, 20 + m, K));

  /** The objective on one stacked batch, as fitBatched calls it; returns the loss value and each member's gradients. */
  function stackedStep(objective: ensemble.Objective) {
    const members = Array.from({ length: M }, (_, m) => member(m + 1, device));
    const model = new ensemble.StackedModel(members);
    const value = tidy(() => {
      const x = model.stackInputs(xs.map((v) => tensor(v, [B, 1, 6, 6], { device })));
      const yb = new Int32Array(B * M);
      for (let i = 0; i < B; i++) for (let m = 0; m < M; m++) yb[i * M + m] = ys[m][i];
      const y = tensor(yb, [B * M], { device });
      const r = objective({
        model,
        x,
        y,
        members: M,
        batchSize: B,
        loss: (out) => ops.affine(ops.sum(ensemble.memberRowLosses(out, y, M)), 1 / B, 0),
        zeroGrad: () =>
          model.parameters().forEach((p) => {
            p.grad?.dispose();
            p.grad = null;
          }),
      });
      backward(r.loss);
      return r.loss.item();
    });
    const g = members.map(grads);
    members.forEach((m) => m.dispose());
    return { value, grads: g };
  }

  /** Each member alone: J(x_m) + J(x_m') with x_m' from attacks.fgsm in training mode (or x_m' = x_m). */
  function separateSteps(eps: number | null) {
    let value = 0;
    const g = Array.from({ length: M }, (_, m) => {
      const net = member(m + 1, device);
      value += tidy(() => {
        const x = tensor(xs[m], [B, 1, 6, 6], { device }),
          y = tensor(ys[m], [B], { device });
        const xa = eps === null ? x : attacks.fgsm(net, x, y, { eps, range: RANGE, keepMode: true });
        const loss = ops.add(ops.crossEntropy(net.forward(x), y), ops.crossEntropy(net.forward(xa), y));
        backward(loss);
        return loss.item();
      });
      const out = grads(net);
      net.dispose();
      return out;
    });
    return { value, grads: g };
  }

  it('FGSM variant: every member gets the gradient of J(x) + J(FGSM(x)) against itself alone', () => {
    const eps = 0.05;
    const got = stackedStep(attacks.ensembleAdversarialObjective({ eps, perturbation: 'fgsm', range: RANGE }));
    const want = separateSteps(eps);
    expect(got.value).toBeCloseTo(want.value, 4);
    got.grads.forEach((gm, m) =>
      gm.forEach((g, k) => expect(relDiff(g, want.grads[m][k]), `member ${m} parameter ${k}`).toBeLessThan(1e-4)),
    );
    // The adversarial term matters: plain J(x) + J(x) gives other gradients.
    const doubled = separateSteps(null);
    expect(Math.max(...got.grads[0].map((g, k) => relDiff(g, doubled.grads[0][k])))).toBeGreaterThan(1e-3);
  });

  it('eps 0 (both variants) is twice the plain objective', () => {
    const plain = separateSteps(null);
    for (const perturbation of ['fgsm', 'random-sign'] as const) {
      const got = stackedStep(
        attacks.ensembleAdversarialObjective({ eps: 0, perturbation, range: RANGE, generator: new RandomGenerator(1) }),
      );
      expect(got.value, perturbation).toBeCloseTo(plain.value, 4);
      got.grads.forEach((gm, m) =>
        gm.forEach((g, k) => expect(relDiff(g, plain.grads[m][k]), `${perturbation} member ${m} parameter ${k}`).toBeLessThan(1e-4)),
      );
    }
  });

  it('random-sign variant: seeded, and a different loss than the plain one', () => {
    const run = (seed: number) =>
      stackedStep(
        attacks.ensembleAdversarialObjective({ eps: 0.3, perturbation: 'random-sign', range: RANGE, generator: new RandomGenerator(seed) }),
      );
    const a = run(5),
      b = run(5),
      c = run(6);
    expect(a.value).toBe(b.value);
    expect(a.value).not.toBe(c.value);
    expect(Math.abs(a.value - separateSteps(null).value)).toBeGreaterThan(1e-4);
  });
});

describe('ensembleAdversarialObjective options', () => {
  it('bad options are typed errors naming the option', () => {
    expect(() => attacks.ensembleAdversarialObjective({ eps: -1, perturbation: 'fgsm', range: RANGE })).toThrow(ArgumentError);
    expect(() => attacks.ensembleAdversarialObjective({ eps: -1, perturbation: 'fgsm', range: RANGE })).toThrow(
      /eps must be a finite number >= 0, got -1/,
    );
    expect(() => attacks.ensembleAdversarialObjective({ eps: 0.1, perturbation: 'pgd' as never, range: RANGE })).toThrow(
      /perturbation must be 'fgsm' or 'random-sign', got 'pgd'/,
    );
    expect(() => attacks.ensembleAdversarialObjective({ eps: 0.1, perturbation: 'fgsm', range: [1, 0] })).toThrow(
      /range must be two finite numbers lo < hi/,
    );
  });
});
