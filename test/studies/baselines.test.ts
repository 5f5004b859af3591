// `nnlab run baselines --quick`: k-NN, logistic regression and the CNN on the same subset; the
// reported accuracies agree with the per-image predictions written beside them.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { RandomGenerator } from '../../lib/index.js';
import { logisticRegression, trainClassifier } from '../../lib/train/classifier.js';
import { loadMnist } from '../../lib/data/mnist.js';
import { LOGREG_FULL } from '../../lib/studies/shared/three-models.js';
import { checkRunFolder, readCsv, runQuick, tmp } from './helpers.js';

describe('nnlab run baselines', () => {
  it('quick preset: the three models, their accuracies and predictions', { timeout: 300_000 }, () => {
    const { out, h } = runQuick('baselines', ['--k', '3']);
    console.log(`baselines quick: cnn ${h.cnn_test_accuracy}, knn ${h.knn_test_accuracy}, logreg ${h.logreg_test_accuracy}`);
    expect(h.k).toBe(3);
    expect(h.cnn_test_accuracy).toBeGreaterThan(0.93);
    expect(h.knn_test_accuracy).toBeGreaterThan(0.85);
    expect(h.logreg_test_accuracy).toBeGreaterThan(0.82);
    const preds = readCsv(join(out, 'predictions.csv'));
    expect(preds.length).toBe(h.test_images);
    for (const [model, key] of [
      ['cnn', 'cnn_test_accuracy'],
      ['knn', 'knn_test_accuracy'],
      ['logreg', 'logreg_test_accuracy'],
    ]) {
      const acc = preds.filter((p) => p[`${model}_pred`] === p.label).length / preds.length;
      expect(acc, model).toBeCloseTo(h[key], 9);
    }
    // k neighbours per image, and the vote fraction is a multiple of 1/k.
    for (const p of preds.slice(0, 50)) {
      expect(p.knn_neighbours.split(' ').length).toBe(3);
      const v = Number(p.knn_vote_fraction) * 3;
      expect(Math.abs(v - Math.round(v))).toBeLessThan(1e-5);
    }
    checkRunFolder(out, ['baselines_table', 'baselines_accuracy', 'logreg_curves', 'cnn_curves', 'disagreements']);
    expect(readCsv(join(out, 'metrics.csv')).map((m) => m.model)).toContain('logreg');
  });

  it("the full preset's logistic regression reaches the report's 92.5% on full MNIST in a few epochs", { timeout: 300_000 }, async () => {
    const m = loadMnist({ device: 'cpu' });
    try {
      for (const seed of [0, 1]) {
        const t0 = performance.now();
        const r = await trainClassifier(logisticRegression(new RandomGenerator(seed)), m.train, m.test, LOGREG_FULL, {
          seed,
          outDir: tmp('logreg'),
          log: () => {},
        });
        console.log(`logreg seed ${seed}: ${(100 * r.testAccuracy).toFixed(2)}% in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
        expect(r.history.length).toBe(LOGREG_FULL.epochs);
        expect(r.testAccuracy).toBeGreaterThanOrEqual(0.925);
      }
    } finally {
      m.dispose();
    }
  });
});
