// Study `cnn` (seed 001, section 1.1): the seed CNN trained on MNIST; test accuracy, curves,
// annotated test images and the confusion matrix.
import { join } from 'node:path';

import { RandomGenerator, saveWeights, seedCnn } from '../index.js';
import { accuracy, decide, predictProbs, SEED_CNN_TRAIN, trainClassifier, TrainSettings } from '../train/classifier.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import { curves, testGrid } from '../report/figures.js';
import type { StudySummary } from '../report/run-folder.js';
import { confusionTable } from '../report/tables.js';

export interface CnnConfig extends BaseConfig {
  train: TrainSettings;
  /** Images shown in the sample and error grids. */
  gridSize: number;
}

export const CNN_FULL: CnnConfig = {
  ...FULL_PRESET,
  train: SEED_CNN_TRAIN,
  gridSize: 32,
};

export const CNN_QUICK: CnnConfig = quickPreset(CNN_FULL, 10000, 2000, {
  train: { epochs: 2, batch: 128, lr: 1e-3 },
  gridSize: 16,
});

export async function run(cfg: CnnConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const { folder, device, mnist, log } = startRun('cnn', cfg, hooks, {
    model: 'seed CNN: Conv(1->32,3x3) ReLU MaxPool2 Conv(32->64,3x3) ReLU MaxPool2 Flatten(1600) Linear(128) ReLU Linear(10)',
    optimizer: 'Adam',
    validation: 'the test split is evaluated after every epoch (no early stopping: the last epoch is reported)',
  });
  try {
    const model = seedCnn(new RandomGenerator(cfg.seed)).to(device);
    log(`training the seed CNN (${model.numParameters()} parameters) for ${cfg.train.epochs} epochs on ${mnist.train.n} images`);
    const t = await trainClassifier(model, mnist.train, mnist.test, cfg.train, { seed: cfg.seed, outDir: folder.dir, log });
    saveWeights(join(folder.dir, 'model.safetensors'), model, { model: 'seed-cnn' });
    const { pred, conf } = decide(predictProbs(model, mnist.test.x));
    model.dispose();
    const labels = mnist.test.labels;

    folder.figure('loss_curves', 'Loss per epoch', curves([{ name: 'cnn', history: t.history }], 'loss', 'Seed CNN: loss'));
    folder.figure('accuracy_curves', 'Accuracy per epoch', curves([{ name: 'cnn', history: t.history }], 'acc', 'Seed CNN: accuracy'));
    const caption = (i: number) => [`y=${labels[i]} pred=${pred[i]}`, `p=${conf[i].toFixed(3)}`];
    const first = Array.from({ length: Math.min(cfg.gridSize, mnist.test.n) }, (_, i) => i);
    folder.figure(
      'test_samples',
      'First test images',
      testGrid(
        mnist.test,
        first.map((i) => ({ index: i, caption: caption(i), flagged: pred[i] !== labels[i] })),
        'First test images: label, prediction, probability',
      ),
      'red = misclassified',
    );
    const wrong = [...labels.keys()]
      .filter((i) => pred[i] !== labels[i])
      .sort((a, b) => conf[b] - conf[a])
      .slice(0, cfg.gridSize);
    if (wrong.length)
      folder.figure(
        'misclassified',
        'Misclassified test images',
        testGrid(
          mnist.test,
          wrong.map((i) => ({ index: i, caption: caption(i), flagged: true })),
          'Misclassified, most confident first',
        ),
      );
    folder.table('confusion', confusionTable(labels, pred, 'Confusion matrix (rows: label, columns: prediction)'));

    const acc = accuracy(pred, labels);
    return folder.finish(
      {
        test_accuracy: acc,
        test_errors: labels.length - Math.round(acc * labels.length),
        parameters: t.parameters,
        epochs: cfg.train.epochs,
        train_images: mnist.train.n,
        test_images: mnist.test.n,
        seconds_per_epoch: t.secondsPerEpoch,
        images_per_second: t.imagesPerSecond,
      },
      { history: t.history },
    );
  } finally {
    mnist.dispose();
  }
}
