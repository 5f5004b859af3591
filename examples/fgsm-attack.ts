// The fast gradient sign method on a seed CNN trained on MNIST: accuracy as eps grows, written by
// hand (the input gradient from backward()) and checked against attacks.fgsm.
//
//   node dist/examples/fgsm-attack.js
import { attacks, data, fit, noGrad, ops, optim, RandomGenerator, seedCnn, Tensor, tidy } from 'nnlab';

import { sized } from './shared.js';

const mnist = data.loadDataset('mnist');
const nTrain = sized(10000, 512),
  nTest = sized(1000, 128);
const pixels = (images: Tensor, n: number) => tidy(() => data.toUnitFloat(data.rowsOf(images, 0, n))).keep();
const trainX = pixels(mnist.train.images, nTrain),
  trainY = data.rowsOf(mnist.train.labels, 0, nTrain).keep();
const testX = pixels(mnist.test.images, nTest),
  testY = data.rowsOf(mnist.test.labels, 0, nTest).keep();

// The network sees normalised pixels; the attack works on pixels in [0, 1].
const stats = { mean: 0.1307, std: 0.3081 };
const model = new attacks.PixelSpaceModel(seedCnn(new RandomGenerator(0)), stats);
const loader = new data.DataLoader(data.tensorDataset(trainX, trainY), { batchSize: 64, shuffle: true });
await fit(model, loader, {
  epochs: sized(2, 1),
  optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
  progress: false,
  log: () => {},
});
model.eval();

const accuracyOn = (x: Tensor) =>
  tidy(() =>
    noGrad(() => ops.sum(ops.eq(ops.cast(ops.argmax(model.forward(x), 1), 'float32'), ops.cast(testY, 'float32'))).item() / nTest),
  );

/** FGSM by hand: x + eps * sign(d loss / d x), clipped to the pixel range. */
function fgsmByHand(x: Tensor, y: Tensor, eps: number): Tensor {
  return tidy(() => {
    const input = ops.detach(x).requiresGrad_();
    ops.crossEntropy(model.forward(input), y).backward();
    return noGrad(() => ops.clamp(ops.add(input, ops.mul(ops.sign(input.grad!), eps)), 0, 1));
  });
}

const rows: { eps: number; accuracy: number }[] = [];
for (const eps of [0, 0.05, 0.1, 0.2, 0.3]) {
  const adv = fgsmByHand(testX, testY, eps);
  const library = attacks.fgsm(model, testX, testY, { eps });
  const same = tidy(() => ops.max(ops.abs(ops.sub(adv, library))).item());
  if (same > 1e-6) throw new Error(`eps ${eps}: the hand-written FGSM differs from attacks.fgsm by ${same}`);
  rows.push({ eps, accuracy: accuracyOn(adv) });
  console.log(`eps ${eps.toFixed(2)}: accuracy ${(100 * rows[rows.length - 1].accuracy).toFixed(2)}%`);
  adv.dispose();
  library.dispose();
}
console.log(JSON.stringify({ rows }));
