// Attacks through the public API on every device: FGSM against the analytic gradient of a
// softmax model, input gradients through the real seed CNN and an ensemble checked by finite
// differences, PGD/BIM projections, the random-sign control, batching, adversarial-training
// batches and losses, and typed errors.
import { describe, expect, it } from 'vitest';

import {
  ArgumentError,
  attacks,
  DTypeError,
  RandomGenerator,
  noGrad,
  nn,
  ops,
  seedCnn,
  ShapeError,
  tensor,
  tidy,
  ValueError,
} from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { expectClose, expectGradClose, numericGrad, randomArray, randomInts, sampleIndices, testDevices } from '../support/native.js';

const STATS = { mean: 0.1307, std: 0.3081 };

/**
 * A test-only ensemble following the Ensemble contract (forward = log of the mean of the
 * members' softmax): cross-entropy on it is the ensemble NLL, so attacks need nothing else.
 */
class LogMeanSoftmax extends nn.Module {
  constructor(readonly members: nn.Module[]) {
    super();
    members.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(x: Tensor): Tensor {
    const probs = this.members.map((m) => ops.softmax(m.forward(x), 1));
    const sum = probs.reduce((a, b) => ops.add(a, b));
    return ops.log(ops.mul(sum, 1 / this.members.length));
  }
}

/** Flatten + Linear(d -> k): multinomial logistic regression on d pixels. */
function softmaxModel(d: number, k: number, seed: number) {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(d, k, { generator: new RandomGenerator(seed) }));
}

/** Analytic d CE(softmax(W((x - m)/s) + b), y) / dx for one image, in float64. */
function softmaxInputGradient(w: Float32Array, b: Float32Array, x: Float32Array, y: number, k: number): Float64Array {
  const d = x.length;
  const z = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = b[c];
    for (let j = 0; j < d; j++) s += w[c * d + j] * ((x[j] - STATS.mean) / STATS.std);
    z[c] = s;
  }
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const tot = e.reduce((a, v) => a + v, 0);
  const g = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    const r = e[c] / tot - (c === y ? 1 : 0);
    for (let j = 0; j < d; j++) g[j] += (r * w[c * d + j]) / STATS.std;
  }
  return g;
}

const values = (t: Tensor) => Float32Array.from(t.data() as Float32Array);

describe.each(testDevices())('attacks on %s', (device) => {
  const labelsOf = (a: Int32Array) => tensor(a, [a.length], { device });
  const images = (n: number, h: number, w: number, seed: number) => tensor(randomArray(n * h * w, seed, 0, 1), [n, 1, h, w], { device });

  it('FGSM equals clip(x + eps * sign(analytic gradient)), untargeted and targeted', () => {
    const n = 5,
      d = 64,
      k = 6,
      eps = 0.1;
    const inner = softmaxModel(d, k, 1).to(device);
    const model = new attacks.PixelSpaceModel(inner, STATS);
    const lin = inner.layers[1] as nn.Linear;
    const w = values(lin.weight),
      b = values(lin.bias!);
    const xs = randomArray(n * d, 2, 0, 1),
      ys = randomInts(n, 3, k);
    const x = tensor(xs, [n, 1, 8, 8], { device });
    for (const targeted of [false, true]) {
      const adv = values(tidy(() => attacks.fgsm(model, x, labelsOf(ys), { eps, targeted })));
      let checked = 0;
      for (let i = 0; i < n; i++) {
        const g = softmaxInputGradient(w, b, xs.subarray(i * d, (i + 1) * d), ys[i], k);
        for (let j = 0; j < d; j++) {
          if (Math.abs(g[j]) < 1e-5) continue; // sign ambiguous in float32
          const dir = Math.sign(g[j]) * (targeted ? -1 : 1);
          const want = Math.min(1, Math.max(0, xs[i * d + j] + eps * dir));
          expect(adv[i * d + j]).toBeCloseTo(want, 6);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(n * d * 0.9);
    }
    // Untargeted raises the loss of the label; targeted lowers the loss of the target.
    tidy(() => {
      const y = labelsOf(ys);
      const loss = (v: Tensor) => noGrad(() => attacks.attackLoss(model, v, y).item());
      const before = loss(x);
      expect(loss(attacks.fgsm(model, x, y, { eps }))).toBeGreaterThan(before);
      expect(loss(attacks.fgsm(model, x, y, { eps, targeted: true }))).toBeLessThan(before);
      expect(() => noGrad(() => attacks.fgsm(model, x, y, { eps }))).toThrow(/inside noGrad/);
    });
    model.dispose();
  });

  it('the attack-loss gradient through the seed CNN matches central finite differences', () => {
    const model = new attacks.PixelSpaceModel(seedCnn(new RandomGenerator(4)), STATS).to(device);
    const n = 2,
      xs = randomArray(n * 784, 5, 0, 1),
      ys = randomInts(n, 6, 10);
    const y = labelsOf(ys);
    const g = values(tidy(() => attacks.inputGradient(model, tensor(xs, [n, 1, 28, 28], { device }), y)));
    const loss = (v: Float32Array) => noGrad(() => tidy(() => attacks.attackLoss(model, tensor(v, [n, 1, 28, 28], { device }), y).item()));
    // The largest gradients (where a wrong sign would matter most) plus random coordinates.
    const top = [...g.keys()].sort((a, b) => Math.abs(g[b]) - Math.abs(g[a])).slice(0, 12);
    const idx = [...new Set([...top, ...sampleIndices(g.length, 12, 7)])];
    const num = numericGrad(loss, xs, 2e-3, idx);
    const scale = Math.max(...idx.map((i) => Math.abs(g[i])));
    expect(scale).toBeGreaterThan(0);
    expectGradClose(g, num, idx, 3e-2, 3e-2 * scale, 'seed CNN input gradient');
    // No parameter received a gradient, and the model's mode was restored.
    expect(model.parameters().every((p) => p.grad === null && p.requiresGrad)).toBe(true);
    expect(model.training).toBe(true);
    model.dispose();
  });

  it('works unchanged on an ensemble (log of the mean softmax): gradient and FGSM', () => {
    const members = [
      softmaxModel(64, 4, 10),
      new nn.Sequential(
        new nn.Flatten(),
        new nn.Linear(64, 8, { generator: new RandomGenerator(11) }),
        new nn.Tanh(),
        new nn.Linear(8, 4, { generator: new RandomGenerator(12) }),
      ),
    ];
    const model = new attacks.PixelSpaceModel(new LogMeanSoftmax(members), STATS).to(device);
    const n = 3,
      xs = randomArray(n * 64, 13, 0, 1),
      y = labelsOf(randomInts(n, 14, 4));
    const g = values(tidy(() => attacks.inputGradient(model, tensor(xs, [n, 1, 8, 8], { device }), y)));
    const loss = (v: Float32Array) => noGrad(() => tidy(() => attacks.attackLoss(model, tensor(v, [n, 1, 8, 8], { device }), y).item()));
    const idx = sampleIndices(g.length, 24, 15);
    const num = numericGrad(loss, xs, 1e-2, idx);
    const scale = Math.max(...g.map(Math.abs));
    expectGradClose(g, num, idx, 2e-2, 1e-2 * scale, 'ensemble input gradient');
    tidy(() => {
      const x = tensor(xs, [n, 1, 8, 8], { device });
      const adv = attacks.fgsm(model, x, y, { eps: 0.2 });
      noGrad(() => expect(attacks.attackLoss(model, adv, y).item()).toBeGreaterThan(attacks.attackLoss(model, x, y).item()));
    });
    model.dispose();
  });

  it('PGD and BIM stay in the eps-ball and the valid range; the random start is seeded', () => {
    const model = new attacks.PixelSpaceModel(softmaxModel(64, 5, 20), STATS).to(device);
    const x = images(4, 8, 8, 21),
      y = labelsOf(randomInts(4, 22, 5));
    const xv = values(x),
      eps = 0.15;
    const run = (seed: number, randomStart = true) =>
      values(tidy(() => attacks.pgd(model, x, y, { eps, stepSize: 0.04, steps: 6, randomStart, generator: new RandomGenerator(seed) })));
    const a = run(1),
      a2 = run(1),
      c = run(2);
    expect(a2).toEqual(a);
    expect(c).not.toEqual(a);
    const bimOut = values(tidy(() => attacks.bim(model, x, y, { eps, stepSize: 0.04, steps: 6 })));
    expect(run(9, false)).toEqual(bimOut);
    for (const adv of [a, c, bimOut]) {
      for (let i = 0; i < adv.length; i++) {
        expect(Math.abs(adv[i] - xv[i])).toBeLessThanOrEqual(eps + 1e-6);
        expect(adv[i]).toBeGreaterThanOrEqual(0);
        expect(adv[i]).toBeLessThanOrEqual(1);
      }
    }
    // Several steps climb at least as high as one FGSM step on this (convex-in-x) loss.
    tidy(() => {
      const adv = attacks.fgsm(model, x, y, { eps });
      const fg = noGrad(() => attacks.attackLoss(model, adv, y).item());
      const it = noGrad(() => attacks.attackLoss(model, tensor(bimOut, x.shape.slice(), { device }), y).item());
      expect(it).toBeGreaterThanOrEqual(fg - 1e-4);
    });
    model.dispose();
  });

  it('random-sign control: every pixel moves by exactly eps (unless clipped), about half up', () => {
    const x = tensor(randomArray(4000, 30, 0.3, 0.7), [10, 1, 20, 20], { device });
    const xv = values(x);
    const out = values(attacks.randomSign(x, { eps: 0.1, generator: new RandomGenerator(31) }));
    let up = 0;
    for (let i = 0; i < xv.length; i++) {
      expect(Math.abs(Math.abs(out[i] - xv[i]) - 0.1)).toBeLessThan(1e-6);
      if (out[i] > xv[i]) up++;
    }
    expect(up / xv.length).toBeGreaterThan(0.45);
    expect(up / xv.length).toBeLessThan(0.55);
    const clipped = values(attacks.randomSign(tensor([0, 1, 0, 1], [2, 2], { device }), { eps: 0.5, generator: new RandomGenerator(1) }));
    for (const v of clipped) expect(v === 0 || v === 0.5 || v === 1).toBe(true);
  });

  it('batched attacks and evaluation equal the whole-batch results', () => {
    const model = new attacks.PixelSpaceModel(softmaxModel(64, 5, 40), STATS).to(device);
    const x = images(23, 8, 8, 41),
      ys = randomInts(23, 42, 5),
      y = labelsOf(ys);
    const attack: attacks.Attack = (m, xb, yb) => attacks.fgsm(m, xb, yb, { eps: 0.2 });
    const whole = values(tidy(() => attack(model, x, y)));
    const batched = values(attacks.attackInBatches(model, x, y, attack, 5));
    expectClose(batched, whole, 0, 1e-6, 'attackInBatches');
    const ev = attacks.evaluateAttack(model, x, y, attack, { batch: 7, keepImages: 3 });
    expectClose(ev.images, whole.subarray(0, 3 * 64), 0, 1e-6, 'kept images');
    const logProbs = values(noGrad(() => ops.logSoftmax(model.forward(tensor(whole, [23, 1, 8, 8], { device })), 1)));
    expectClose(ev.logProbs, logProbs, 1e-5, 1e-6, 'log-probabilities');
    expect(ev.accuracy).toBeCloseTo([...ys].filter((v, i) => ev.pred[i] === v).length / 23, 12);
    expect(ev.meanConfidence).toBeCloseTo(ev.conf.reduce((a, b) => a + b, 0) / 23, 6);
    const clean = attacks.evaluateAttack(model, x, y, null);
    expect(clean.accuracy).toBeGreaterThanOrEqual(ev.accuracy);
    model.dispose();
  });

  it('adversarial-training batches: clean rows then FGSM rows; the weighted loss', () => {
    const model = new attacks.PixelSpaceModel(softmaxModel(64, 5, 50), STATS).to(device);
    const x = images(10, 8, 8, 51),
      y = labelsOf(randomInts(10, 52, 5));
    const loader = new attacks.AdversarialTrainingLoader(
      { x, y },
      { batchSize: 4 },
      {
        model,
        eps: 0.1,
        perturbation: 'fgsm',
        weights: [0.3, 0.7],
      },
    );
    const seen: number[] = [];
    for (const b of loader.batches(0)) {
      const rows = b.y.shape[0] / 2;
      seen.push(rows);
      const lo = b.index * 4;
      const xb = ops.slice(x, 0, lo, lo + rows),
        yb = ops.slice(y, 0, lo, lo + rows);
      expect(values(ops.slice(b.x, 0, 0, rows))).toEqual(values(xb));
      expectClose(values(ops.slice(b.x, 0, rows)), values(attacks.fgsm(model, xb, yb, { eps: 0.1 })), 0, 1e-6, 'perturbed rows');
      expect(Array.from(b.y.data())).toEqual([...Array.from(yb.data()), ...Array.from(yb.data())]);
      tidy(() => {
        const out = model.forward(b.x);
        const ce = values(ops.crossEntropy(out, b.y, { reduction: 'none' }));
        const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
        const want = 0.3 * mean(ce.subarray(0, rows)) + 0.7 * mean(ce.subarray(rows));
        expect(loader.lossFn(out, b.y).item()).toBeCloseTo(want, 5);
        // Any other targets (validation batches): the plain mean cross-entropy.
        expect(loader.lossFn(out, ops.clone(b.y)).item()).toBeCloseTo(mean(ce), 5);
      });
      b.x.dispose();
      b.y.dispose();
    }
    expect(seen).toEqual([4, 4, 2]);
    const ctrl = new attacks.AdversarialTrainingLoader(
      { x, y },
      { batchSize: 10 },
      {
        model,
        eps: 0.1,
        perturbation: 'random-sign',
        weights: [1, 1],
        generator: new RandomGenerator(3),
      },
    );
    const [b] = [...ctrl.batches(0)];
    const diff = values(ops.abs(ops.sub(ops.slice(b.x, 0, 10), x)));
    expect(diff.every((v) => Math.abs(v - 0.1) < 1e-6 || v < 0.1)).toBe(true);
    model.dispose();
  });

  it('bad input is a typed error naming what was expected', () => {
    const model = new attacks.PixelSpaceModel(softmaxModel(64, 5, 60), STATS).to(device);
    const x = images(3, 8, 8, 61),
      y = labelsOf(Int32Array.from([0, 1, 2]));
    expect(() => attacks.fgsm(model, x, y, { eps: -0.1 })).toThrow(ArgumentError);
    expect(() => attacks.fgsm(model, x, y, { eps: NaN })).toThrow(/eps must be a finite number >= 0/);
    expect(() => attacks.fgsm(model, x, labelsOf(Int32Array.from([0, 1])), { eps: 0.1 })).toThrow(ShapeError);
    expect(() => attacks.fgsm(model, x, labelsOf(Int32Array.from([0, 1])), { eps: 0.1 })).toThrow(
      /labels \[2\] do not match images \[3, 1, 8, 8\]/,
    );
    expect(() => attacks.fgsm(model, x, tensor([0, 1, 2], { device }), { eps: 0.1 })).toThrow(DTypeError);
    expect(() => attacks.fgsm(model, x, y, { eps: 0.1, range: [1, 0] })).toThrow(/range must be two finite numbers lo < hi/);
    expect(() => attacks.pgd(model, x, y, { eps: 0.1, stepSize: 0.01, steps: 0 })).toThrow(/steps must be an integer >= 1/);
    expect(() => attacks.attackInBatches(model, x, y, (m, a) => a, 0)).toThrow(/batch must be an integer >= 1/);
    expect(() => new attacks.PixelSpaceModel(model, { mean: 0, std: 0 })).toThrow(/std > 0/);
    expect(
      () => new attacks.AdversarialTrainingLoader({ x, y }, { batchSize: 2 }, { model, eps: 0.1, perturbation: 'fgsm', weights: [0, 0] }),
    ).toThrow(/not both 0/);
    // A model whose outputs are not finite: a ValueError, never a silent NaN perturbation.
    const nanModel = new attacks.PixelSpaceModel(new nn.Sequential(new nn.Flatten(), new nn.Linear(64, 5), new nn.Linear(5, 5)), STATS).to(
      device,
    );
    tidy(() => ops.copyInto(nanModel.parameters()[2], ops.full([5, 5], NaN, { device })));
    expect(() => attacks.fgsm(nanModel, x, y, { eps: 0.1 })).toThrow(ValueError);
    // eps 0 is the clean image.
    expect(values(attacks.fgsm(model, x, y, { eps: 0 }))).toEqual(values(x));
    model.dispose();
    nanModel.dispose();
  });
});
