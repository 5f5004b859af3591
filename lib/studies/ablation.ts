// Study `ablation` (seed 001, section 1.2): the seed CNN against five variants trained with the
// same data, order, seed and hyper-parameters; parameters and test accuracy per variant.
import { join } from 'node:path';

import { RandomGenerator, io } from '../index.js';
import { METRIC_COLUMNS } from '../train/metrics-tracker.js';
import { barChart } from '../viz/bar-chart.js';
import { ArgumentError } from '../core/errors.js';
import { buildVariant, VARIANTS } from './shared/ablation-variants.js';
import { SEED_CNN_TRAIN, trainClassifier, TrainedClassifier, TrainSettings } from '../train/classifier.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import { curves } from '../report/figures.js';
import type { StudySummary } from '../report/run-folder.js';

export interface AblationConfig extends BaseConfig {
  train: TrainSettings;
  /** Variant ids to train (default all six; 'full' is always included as the reference). */
  variants: string[];
}

export const ABLATION_FULL: AblationConfig = {
  ...FULL_PRESET,
  train: SEED_CNN_TRAIN,
  variants: VARIANTS.map((v) => v.id),
};

export const ABLATION_QUICK: AblationConfig = quickPreset(ABLATION_FULL, 3000, 1000, {
  train: { epochs: 1, batch: 64, lr: 2e-3 },
});

export async function run(cfg: AblationConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const unknown = cfg.variants.filter((v) => !VARIANTS.some((x) => x.id === v));
  if (unknown.length)
    throw new ArgumentError(`ablation: unknown variant(s) ${unknown.join(', ')} (known: ${VARIANTS.map((v) => v.id).join(', ')})`);
  const chosen = VARIANTS.filter((v) => v.id === 'full' || cfg.variants.includes(v.id));
  const { folder, device, mnist, log } = startRun('ablation', cfg, hooks, {
    variant_specs: chosen,
    optimizer: 'Adam',
    protocol:
      'every variant: the same seed for its initialisation, the same shuffled batches, the same hyper-parameters; accuracy of the last epoch on the test split',
  });
  try {
    const results: (TrainedClassifier & { id: string; description: string })[] = [];
    for (const v of chosen) {
      const model = buildVariant(v.spec, new RandomGenerator(cfg.seed)).to(device);
      log(`variant ${v.id} (${v.description}): ${model.numParameters()} parameters`);
      const t = await trainClassifier(model, mnist.train, mnist.test, cfg.train, { seed: cfg.seed, outDir: folder.sub(v.id), log });
      model.dispose();
      results.push({ ...t, id: v.id, description: v.description });
      log(`variant ${v.id}: test accuracy ${(100 * t.testAccuracy).toFixed(2)}%`);
    }
    // One metrics.csv for the whole study (each variant's own is in its sub-folder).
    io.writeCsv(
      join(folder.dir, 'metrics.csv'),
      ['variant', ...METRIC_COLUMNS],
      results.flatMap((r) => r.history.map((h) => [r.id, ...METRIC_COLUMNS.map((c) => h[c])])),
    );

    const ref = results[0];
    folder.table('ablation_table', {
      title: 'Ablation: parameters and test accuracy',
      columns: ['variant', 'change', 'parameters', 'test accuracy %', 'delta vs full (points)', 's/epoch'],
      rows: results.map((r) => [
        r.id,
        r.description,
        r.parameters,
        +(100 * r.testAccuracy).toFixed(2),
        +(100 * (r.testAccuracy - ref.testAccuracy)).toFixed(2),
        +r.secondsPerEpoch.toFixed(1),
      ]),
    });
    const accs = results.map((r) => 100 * r.testAccuracy);
    const lo = Math.max(0, Math.floor(Math.min(...accs) - 1));
    folder.figure(
      'ablation_accuracy',
      'Test accuracy per variant',
      barChart(
        results.map((r) => ({ label: r.id, value: 100 * r.testAccuracy })),
        {
          title: 'Test accuracy per variant',
          yLabel: 'test accuracy (%)',
          yDomain: [lo, 100],
          highlight: 0,
          format: (v) => v.toFixed(2),
        },
      ),
      `y axis starts at ${lo}% so that differences are visible; orange = the full model`,
    );
    folder.figure(
      'ablation_parameters',
      'Parameters per variant',
      barChart(
        results.map((r) => ({ label: r.id, value: r.parameters })),
        {
          title: 'Parameters per variant',
          yLabel: 'parameters',
          highlight: 0,
          format: (v) => String(Math.round(v)),
        },
      ),
    );
    folder.figure(
      'ablation_curves',
      'Test accuracy per epoch',
      curves(
        results.map((r) => ({ name: r.id, history: r.history })),
        'acc',
        'Test accuracy per epoch',
        { withTrain: false },
      ),
    );

    const headline: Record<string, number | string> = {};
    for (const r of results) {
      headline[`${r.id}_test_accuracy`] = r.testAccuracy;
      headline[`${r.id}_parameters`] = r.parameters;
    }
    return folder.finish(headline, {
      variants: results.map((r) => ({
        id: r.id,
        description: r.description,
        parameters: r.parameters,
        test_accuracy: r.testAccuracy,
        seconds_per_epoch: r.secondsPerEpoch,
      })),
    });
  } finally {
    mnist.dispose();
  }
}
