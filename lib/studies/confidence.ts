// Study `confidence` (seed 001, section 2): m(x) = the max class probability of the CNN and of
// logistic regression, and the k-NN vote fraction, on the test set: histograms, quantiles and the
// accuracy within each confidence bin (is a confident prediction a correct one?).
import { histogram } from '../viz/histogram.js';
import { linePlot } from '../viz/line-plot.js';
import { SEED_CNN_TRAIN } from '../train/classifier.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import { KNN_TIE_RULES } from '../models/knn.js';
import type { StudySummary } from '../report/run-folder.js';
import { quantile } from '../report/tables.js';
import {
  LOGREG_FULL,
  LOGREG_QUICK,
  ModelOutcome,
  runThreeModels,
  THREE_MODELS_CONFIG_NOTE,
  ThreeModelsConfig,
} from './shared/three-models.js';

export interface ConfidenceConfig extends BaseConfig, Omit<ThreeModelsConfig, 'seed'> {
  quantiles: number[];
  /** Edges of the confidence bins for accuracy-per-bin; the last bin is closed at 1. */
  binEdges: number[];
  histogramBins: number;
}

export const CONFIDENCE_FULL: ConfidenceConfig = {
  // k = 5: the report's k-NN histogram has its peaks at 0.4, 0.6, 0.8 and 1.0 (fifths).
  ...FULL_PRESET,
  k: 5,
  cnn: SEED_CNN_TRAIN,
  // The baselines study's logistic regression (the same accuracy as 30 epochs of Adam at 1e-3, in 4).
  logreg: LOGREG_FULL,
  quantiles: [0.05, 0.1, 0.25, 0.5, 0.75],
  binEdges: [0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1],
  histogramBins: 50,
};

export const CONFIDENCE_QUICK: ConfidenceConfig = quickPreset(CONFIDENCE_FULL, 5000, 1000, {
  cnn: { epochs: 2, batch: 64, lr: 1e-3 },
  logreg: LOGREG_QUICK,
});

export interface BinStats {
  lo: number;
  hi: number;
  count: number;
  accuracy: number | null;
}

export function accuracyPerBin(conf: ArrayLike<number>, correct: (i: number) => boolean, edges: number[]): BinStats[] {
  const bins: BinStats[] = [];
  for (let b = 0; b + 1 < edges.length; b++) {
    const lo = edges[b],
      hi = edges[b + 1],
      last = b + 2 === edges.length;
    let count = 0,
      ok = 0;
    for (let i = 0; i < conf.length; i++) {
      const v = conf[i];
      if (v >= lo && (v < hi || (last && v <= hi))) {
        count++;
        if (correct(i)) ok++;
      }
    }
    bins.push({ lo, hi, count, accuracy: count ? ok / count : null });
  }
  return bins;
}

const NAMES: Record<ModelOutcome['name'], string> = { cnn: 'CNN', knn: 'k-NN', logreg: 'logistic regression' };

export async function run(cfg: ConfidenceConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const ctx = startRun('confidence', cfg, hooks, {
    ...THREE_MODELS_CONFIG_NOTE,
    knn_tie_rules: KNN_TIE_RULES,
    m_of_x: 'CNN and logistic regression: max softmax probability; k-NN: fraction of the k neighbours voting for the predicted class',
    quantile_method: 'linear interpolation between order statistics (numpy default)',
  });
  const { folder, mnist } = ctx;
  try {
    const r = await runThreeModels({ ...cfg }, ctx);
    const models = [r.cnn, r.knn, r.logreg];
    const labels = mnist.test.labels;
    for (const m of models) {
      folder.figure(
        `hist_${m.name}`,
        `${NAMES[m.name]}: histogram of m(x)`,
        histogram([{ name: NAMES[m.name], values: m.conf }], {
          title: `${NAMES[m.name]}${m.name === 'knn' ? ` (k=${cfg.k})` : ''}: m(x) on ${mnist.test.n} test images`,
          xLabel: 'm(x)',
          bins: cfg.histogramBins,
          range: [0, 1],
        }),
      );
    }
    folder.figure(
      'hist_all',
      'm(x) of the three models',
      histogram(
        models.map((m) => ({ name: NAMES[m.name], values: m.conf })),
        {
          title: 'm(x) of the three models (fraction per bin)',
          xLabel: 'm(x)',
          bins: cfg.histogramBins,
          range: [0, 1],
          density: true,
        },
      ),
    );
    const q = models.map((m) => cfg.quantiles.map((p) => quantile(m.conf, p)));
    folder.table('quantiles', {
      title: 'Quantiles of m(x) on the test set',
      columns: ['model', 'accuracy %', 'mean m(x)', ...cfg.quantiles.map((p) => `Q${p}`)],
      rows: models.map((m, i) => [
        NAMES[m.name],
        +(100 * m.accuracy).toFixed(2),
        +(m.conf.reduce((a, b) => a + b, 0) / m.conf.length).toFixed(4),
        ...q[i].map((v) => +v.toFixed(4)),
      ]),
    });
    const bins = models.map((m) => accuracyPerBin(m.conf, (i) => m.pred[i] === labels[i], cfg.binEdges));
    folder.table('accuracy_per_bin', {
      title: 'Accuracy per confidence bin (count in brackets)',
      columns: ['m(x) bin', ...models.map((m) => NAMES[m.name])],
      rows: bins[0].map((b, j) => [
        `[${b.lo}, ${b.hi}${j === bins[0].length - 1 ? ']' : ')'}`,
        ...bins.map((bm) => (bm[j].accuracy === null ? '-' : `${(100 * bm[j].accuracy!).toFixed(1)}% (${bm[j].count})`)),
      ]),
    });
    folder.figure(
      'accuracy_vs_confidence',
      'Accuracy per confidence bin',
      linePlot(
        models.map((m, i) => {
          const nonEmpty = bins[i].filter((b) => b.accuracy !== null);
          return { name: NAMES[m.name], x: nonEmpty.map((b) => (b.lo + b.hi) / 2), y: nonEmpty.map((b) => b.accuracy!) };
        }),
        { title: 'Accuracy within each m(x) bin', xLabel: 'm(x) (bin centre)', yLabel: 'accuracy', yDomain: [0, 1], legendAt: 'bottom' },
      ),
      'a calibrated model lies near the diagonal; empty bins are skipped',
    );

    const headline: Record<string, number | string> = {};
    models.forEach((m, i) => {
      headline[`${m.name}_accuracy`] = m.accuracy;
      cfg.quantiles.forEach((p, j) => {
        headline[`${m.name}_Q${p}`] = q[i][j];
      });
    });
    headline.k = cfg.k;
    return folder.finish(headline, {
      bins: Object.fromEntries(models.map((m, i) => [m.name, bins[i]])),
    });
  } finally {
    mnist.dispose();
  }
}
