// Attacks against a real trained model (logistic regression on an MNIST subset, trained in pixel
// space through fit): targeted PGD reaches its targets, PGD is stronger than FGSM, and the
// random-sign control barely changes the accuracy. On every device (the CUDA simulator build too).
import { describe, expect, it } from 'vitest';

import { attacks, data, fit, RandomGenerator, noGrad, ops, optim, tensor, tidy } from '../../lib/index.js';
import { logisticRegression } from '../../lib/train/classifier.js';
import { loadMnist } from '../../lib/data/mnist.js';
import { pixelSplit } from '../../lib/studies/shared/adversarial.js';
import { testDevices } from '../support/native.js';

describe.each(testDevices())('attacks on a trained softmax model on %s', (device) => {
  it('targeted PGD reaches the target class; PGD beats FGSM; random signs do little', { timeout: 120_000 }, async () => {
    const mnist = loadMnist({ trainLimit: 2000, testLimit: 300, device });
    const train = pixelSplit(mnist.train, device),
      test = pixelSplit(mnist.test, device);
    const model = new attacks.PixelSpaceModel(logisticRegression(new RandomGenerator(1)), mnist.stats).to(device);
    const opt = new optim.Adam(model.parameters(), { lr: 3e-3 });
    await fit(model, new data.DataLoader(data.tensorDataset(train.x, train.y), { batchSize: 64, shuffle: true, seed: 1 }), {
      epochs: 4,
      optimizer: opt,
      progress: false,
      log: () => {},
    });
    const clean = attacks.evaluateAttack(model, test.x, test.y, null);
    expect(clean.accuracy).toBeGreaterThan(0.8);

    const targets = tensor(
      Int32Array.from(test.labels, (y) => (y + 1) % 10),
      [test.n],
      { device },
    );
    const targeted = attacks.evaluateAttack(
      model,
      test.x,
      test.y,
      (m, x, t) => attacks.pgd(m, x, t, { eps: 0.25, stepSize: 0.025, steps: 20, targeted: true, generator: new RandomGenerator(2) }),
      { targets },
    );
    const hit = targeted.pred.filter((p, i) => p === (test.labels[i] + 1) % 10).length / test.n;
    expect(hit).toBeGreaterThan(0.9);

    const fg = attacks.evaluateAttack(model, test.x, test.y, (m, x, y) => attacks.fgsm(m, x, y, { eps: 0.05 }));
    const pg = attacks.evaluateAttack(model, test.x, test.y, (m, x, y) =>
      attacks.pgd(m, x, y, { eps: 0.05, stepSize: 0.01, steps: 10, generator: new RandomGenerator(3) }),
    );
    const noise = attacks.evaluateAttack(model, test.x, test.y, (_m, x) =>
      attacks.randomSign(x, { eps: 0.05, generator: new RandomGenerator(4) }),
    );
    console.log(
      `logreg: clean ${clean.accuracy}, FGSM .05 ${fg.accuracy}, PGD .05 ${pg.accuracy}, random sign .05 ${noise.accuracy}, targeted hit rate ${hit}`,
    );
    expect(pg.accuracy).toBeLessThan(fg.accuracy);
    expect(fg.accuracy).toBeLessThan(clean.accuracy - 0.2);
    expect(noise.accuracy).toBeGreaterThan(clean.accuracy - 0.05);
    // The adversarial images differ from the clean ones by at most eps.
    const adv = attacks.attackInBatches(model, test.x, test.y, (m, x, y) => attacks.fgsm(m, x, y, { eps: 0.05 }), 100);
    expect(noGrad(() => tidy(() => ops.max(ops.abs(ops.sub(adv, test.x))).item()))).toBeLessThanOrEqual(0.05 + 1e-6);
    [adv, targets, train.x, test.x].forEach((t) => t.dispose());
    opt.dispose();
    model.dispose();
    mnist.dispose();
  });
});
