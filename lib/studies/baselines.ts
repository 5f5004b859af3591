// Study `baselines` (seed 001, section 1.3): exact k-NN and multinomial logistic regression
// against the seed CNN on the same train/test data.
import { barChart } from '../viz/bar-chart.js';
import { SEED_CNN_TRAIN } from '../train/classifier.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import { curves, testGrid } from '../report/figures.js';
import { KNN_TIE_RULES } from '../models/knn.js';
import type { StudySummary } from '../report/run-folder.js';
import { LOGREG_FULL, LOGREG_QUICK, runThreeModels, THREE_MODELS_CONFIG_NOTE, ThreeModelsConfig } from './shared/three-models.js';

export interface BaselinesConfig extends BaseConfig, Omit<ThreeModelsConfig, 'seed'> {
  gridSize: number;
}

export const BASELINES_FULL: BaselinesConfig = {
  ...FULL_PRESET,
  k: 3,
  gridSize: 24,
  cnn: SEED_CNN_TRAIN,
  logreg: LOGREG_FULL,
};

export const BASELINES_QUICK: BaselinesConfig = quickPreset(BASELINES_FULL, 5000, 1000, {
  gridSize: 16,
  cnn: { epochs: 2, batch: 64, lr: 1e-3 },
  logreg: LOGREG_QUICK,
});

export async function run(cfg: BaselinesConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const ctx = startRun('baselines', cfg, hooks, { ...THREE_MODELS_CONFIG_NOTE, knn_tie_rules: KNN_TIE_RULES });
  const { folder, mnist } = ctx;
  try {
    const { cnn, logreg, knn, knnResult } = await runThreeModels({ ...cfg }, ctx);
    const models = [
      { m: cnn, label: 'CNN (seed)' },
      { m: knn, label: `k-NN (k=${cfg.k})` },
      { m: logreg, label: 'logistic regression' },
    ];
    folder.table('baselines_table', {
      title: 'Test accuracy of the CNN and the classical baselines',
      columns: ['model', 'test accuracy %', 'errors', 'parameters', 'seconds (train + predict)'],
      rows: models.map(({ m, label }) => [
        label,
        +(100 * m.accuracy).toFixed(2),
        Math.round((1 - m.accuracy) * mnist.test.n),
        m.parameters === null ? `${mnist.train.n} stored images` : m.parameters,
        +m.seconds.toFixed(1),
      ]),
    });
    const accs = models.map(({ m }) => 100 * m.accuracy);
    const lo = Math.max(0, Math.floor(Math.min(...accs) - 2));
    folder.figure(
      'baselines_accuracy',
      'Test accuracy per model',
      barChart(
        models.map(({ m, label }) => ({ label, value: 100 * m.accuracy })),
        {
          title: 'Test accuracy per model',
          yLabel: 'test accuracy (%)',
          yDomain: [lo, 100],
          highlight: 0,
          format: (v) => v.toFixed(2),
        },
      ),
      `y axis starts at ${lo}%`,
    );
    folder.figure(
      'logreg_curves',
      'Logistic regression: loss per epoch',
      curves([{ name: 'logreg', history: logreg.trained!.history }], 'loss', 'Logistic regression: loss'),
    );
    folder.figure('cnn_curves', 'CNN: loss per epoch', curves([{ name: 'cnn', history: cnn.trained!.history }], 'loss', 'Seed CNN: loss'));

    // Test images on which the models disagree: where the CNN's advantage shows.
    const labels = mnist.test.labels;
    const disagree = [...labels.keys()].filter((i) => cnn.pred[i] !== knn.pred[i] || cnn.pred[i] !== logreg.pred[i]).slice(0, cfg.gridSize);
    if (disagree.length)
      folder.figure(
        'disagreements',
        'Test images where the models disagree',
        testGrid(
          mnist.test,
          disagree.map((i) => ({
            index: i,
            flagged: cnn.pred[i] !== labels[i],
            caption: [
              `y=${labels[i]}`,
              `CNN ${cnn.pred[i]} ${cnn.conf[i].toFixed(2)}`,
              `kNN ${knn.pred[i]} ${knn.conf[i].toFixed(2)}`,
              `LR ${logreg.pred[i]} ${logreg.conf[i].toFixed(2)}`,
            ],
          })),
          'Disagreements: label, CNN / k-NN / LR prediction and confidence',
          8,
        ),
        'red = the CNN is wrong',
      );

    return folder.finish(
      {
        cnn_test_accuracy: cnn.accuracy,
        knn_test_accuracy: knn.accuracy,
        logreg_test_accuracy: logreg.accuracy,
        k: cfg.k,
        train_images: mnist.train.n,
        test_images: mnist.test.n,
        knn_seconds: knn.seconds,
        logreg_seconds: logreg.seconds,
      },
      { knn_projection_dim: knnResult.projDim, knn_tie_rules: KNN_TIE_RULES },
    );
  } finally {
    mnist.dispose();
  }
}
