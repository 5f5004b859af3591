// A deep ensemble of 5 seed CNNs on MNIST (each its own seed and shuffle), and its uncertainty:
// accuracy, NLL, Brier score, ECE of the ensemble against its members, predictive entropy and
// mutual information on test images versus FashionMNIST images it never saw (AUROC).
//
//   node dist/examples/ensemble-uncertainty.js
import { data, Ensemble, fit, metrics, optim, RandomGenerator, seedCnn, tidy } from 'nnlab';

import { sized } from './shared.js';

const mnist = data.loadDataset('mnist');
const stats = { mean: 0.1307, std: 0.3081 };
const load = (images: import('nnlab').Tensor, n: number) =>
  tidy(() => data.normalize(data.toUnitFloat(data.rowsOf(images, 0, n)), stats)).keep();
const nTrain = sized(10000, 256),
  nTest = sized(2000, 128);
const trainX = load(mnist.train.images, nTrain),
  trainY = data.rowsOf(mnist.train.labels, 0, nTrain).keep();
const testX = load(mnist.test.images, nTest),
  testY = data.rowsOf(mnist.test.labels, 0, nTest).keep();
const oodX = load(data.loadDataset('fashion').test.images, nTest);

const members = [];
for (let seed = 1; seed <= 5; seed++) {
  const model = seedCnn(new RandomGenerator(seed));
  const loader = new data.DataLoader(data.tensorDataset(trainX, trainY), { batchSize: 64, shuffle: true, seed });
  await fit(model, loader, {
    epochs: sized(2, 1),
    optimizer: new optim.Adam(model.parameters(), { lr: 1e-3 }),
    progress: false,
    log: () => {},
  });
  members.push(model);
}
const ensemble = new Ensemble(members);

const probs = ensemble.predictProba(testX);
const memberProbs = ensemble.memberProba(testX);
const labels = testY.data();
const K = 10,
  N = nTest;
const row = (name: string, p: Float32Array) =>
  console.log(
    `${name.padEnd(10)} accuracy ${(100 * metrics.accuracy(p, labels)).toFixed(2)}%  NLL ${metrics.nll(p, labels).toFixed(4)}  ` +
      `Brier ${metrics.brierScore(p, labels).toFixed(4)}  ECE ${metrics.expectedCalibrationError(p, labels).ece.toFixed(4)}`,
  );
for (let m = 0; m < members.length; m++) row(`member ${m + 1}`, memberProbs.slice(m * N * K, (m + 1) * N * K));
row('ensemble', probs);

const entropyIn = metrics.predictiveEntropy(probs, K),
  entropyOut = metrics.predictiveEntropy(ensemble.predictProba(oodX), K);
const miIn = metrics.mutualInformation(memberProbs, [5, N, K]),
  miOut = metrics.mutualInformation(ensemble.memberProba(oodX), [5, N, K]);
const summary = {
  accuracy: metrics.accuracy(probs, labels),
  nll: metrics.nll(probs, labels),
  aurocEntropy: metrics.auroc(entropyIn, entropyOut),
  aurocMutualInformation: metrics.auroc(miIn, miOut),
};
console.log(
  `FashionMNIST vs MNIST: AUROC ${summary.aurocEntropy.toFixed(3)} by predictive entropy, ${summary.aurocMutualInformation.toFixed(3)} by mutual information`,
);
console.log(JSON.stringify(summary));
