// The three classifiers the baselines and confidence studies compare on the same data: the seed
// CNN and multinomial logistic regression (both trained by nnlab) and exact k-NN; each gives a
// prediction and a confidence m(x) per test image. Also writes metrics.csv and predictions.csv.
import { join } from 'node:path';

import { RandomGenerator, io, seedCnn } from '../../index.js';
import { METRIC_COLUMNS } from '../../train/metrics-tracker.js';
import { decide, logisticRegression, predictProbs, trainClassifier, TrainedClassifier, TrainSettings } from '../../train/classifier.js';
import type { RunContext } from './common.js';
import { knnClassify, KnnResult } from '../../models/knn.js';

export interface ThreeModelsConfig {
  seed: number;
  k: number;
  cnn: TrainSettings;
  logreg: TrainSettings;
}

export interface ModelOutcome {
  name: 'cnn' | 'logreg' | 'knn';
  pred: Int32Array;
  /** m(x): max softmax probability, or the k-NN vote fraction. */
  conf: Float32Array;
  accuracy: number;
  parameters: number | null;
  seconds: number;
  trained?: TrainedClassifier;
}

/**
 * Multinomial logistic regression on full MNIST: 4 epochs of Adam, batch 256, lr 1e-2 annealed to
 * 0 by a per-batch cosine: the accuracy of a long constant-rate run (and of scikit-learn's lbfgs)
 * in a fraction of the epochs.
 */
export const LOGREG_FULL: TrainSettings = { epochs: 4, batch: 256, lr: 1e-2, cosine: true, cosinePerStep: true };
/** The same schedule on the quick presets' 5000 images (20 batches of 256 per epoch would be too few). */
export const LOGREG_QUICK: TrainSettings = { epochs: 5, batch: 64, lr: 1e-2, cosine: true, cosinePerStep: true };

export const THREE_MODELS_CONFIG_NOTE = {
  logreg:
    'multinomial logistic regression: Linear(784 -> 10) on the normalised pixels, softmax cross-entropy, Adam with cosine annealing of the learning rate',
  knn: 'exact Euclidean k-NN on the raw pixels (uniform votes)',
};

export async function runThreeModels(
  c: ThreeModelsConfig,
  ctx: RunContext,
): Promise<{ cnn: ModelOutcome; logreg: ModelOutcome; knn: ModelOutcome; knnResult: KnnResult }> {
  const { folder, device, mnist, log } = ctx;
  const labels = mnist.test.labels;
  const acc = (p: Int32Array) => p.reduce((s, v, i) => s + (v === labels[i] ? 1 : 0), 0) / labels.length;

  const trainOne = async (name: 'cnn' | 'logreg', settings: TrainSettings): Promise<ModelOutcome> => {
    const t0 = performance.now();
    const model = (name === 'cnn' ? seedCnn(new RandomGenerator(c.seed)) : logisticRegression(new RandomGenerator(c.seed))).to(device);
    log(`training ${name} (${model.numParameters()} parameters), ${settings.epochs} epochs`);
    const trained = await trainClassifier(model, mnist.train, mnist.test, settings, { seed: c.seed, outDir: folder.sub(name), log });
    const { pred, conf } = decide(predictProbs(model, mnist.test.x));
    model.dispose();
    return { name, pred, conf, accuracy: acc(pred), parameters: trained.parameters, seconds: (performance.now() - t0) / 1000, trained };
  };

  const logreg = await trainOne('logreg', c.logreg);
  log(`logistic regression: test accuracy ${(100 * logreg.accuracy).toFixed(2)}%`);
  const cnn = await trainOne('cnn', c.cnn);
  log(`cnn: test accuracy ${(100 * cnn.accuracy).toFixed(2)}%`);

  log(`k-NN (k=${c.k}): ${mnist.test.n} queries against ${mnist.train.n} train images`);
  const t0 = performance.now();
  const knnResult = knnClassify(mnist.train, mnist.test, c.k);
  const knn: ModelOutcome = {
    name: 'knn',
    pred: knnResult.pred,
    conf: knnResult.voteFraction,
    accuracy: acc(knnResult.pred),
    parameters: null,
    seconds: (performance.now() - t0) / 1000,
  };
  log(
    `k-NN: test accuracy ${(100 * knn.accuracy).toFixed(2)}% in ${knn.seconds.toFixed(2)} s (exact search pruned in a ${knnResult.projDim}-D projection)`,
  );

  io.writeCsv(
    join(folder.dir, 'metrics.csv'),
    ['model', ...METRIC_COLUMNS],
    [logreg, cnn].flatMap((m) => m.trained!.history.map((h) => [m.name, ...METRIC_COLUMNS.map((k) => h[k])])),
  );
  io.writeCsv(
    join(folder.dir, 'predictions.csv'),
    ['index', 'label', 'cnn_pred', 'cnn_conf', 'logreg_pred', 'logreg_conf', 'knn_pred', 'knn_vote_fraction', 'knn_neighbours'],
    [...labels].map((y, i) => [
      i,
      y,
      cnn.pred[i],
      cnn.conf[i],
      logreg.pred[i],
      logreg.conf[i],
      knn.pred[i],
      knn.conf[i],
      Array.from(knnResult.neighbours.subarray(i * c.k, (i + 1) * c.k)).join(' '),
    ]),
  );
  return { cnn, logreg, knn, knnResult };
}
