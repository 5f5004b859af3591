// `nnlab run confidence --quick`: histograms, quantiles and accuracy per bin, checked against
// the per-image confidences in predictions.csv.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { quantile } from '../../lib/report/tables.js';
import { lastJson } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary } from './helpers.js';
import { quickRun } from './quick-run.js';

describe('nnlab run confidence', () => {
  it('quantile interpolates like numpy', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([3, 1, 2], 0)).toBe(1);
    expect(quantile([0, 10], 0.05)).toBeCloseTo(0.5);
  });

  it('quick preset: m(x) quantiles and bins agree with the predictions', { timeout: 300_000 }, () => {
    const { out, r } = quickRun('confidence');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary & { bins: Record<string, { lo: number; hi: number; count: number; accuracy: number | null }[]> }>(r.stdout);
    const h = s.headline as Record<string, number>;
    console.log(`confidence quick: Q0.05 cnn ${h['cnn_Q0.05']}, knn ${h['knn_Q0.05']}, logreg ${h['logreg_Q0.05']}`);
    expect(h.k).toBe(5);
    const preds = readCsv(join(out, 'predictions.csv'));
    const col = { cnn: 'cnn_conf', knn: 'knn_vote_fraction', logreg: 'logreg_conf' } as const;
    for (const [model, c] of Object.entries(col)) {
      const conf = preds.map((p) => Number(p[c]));
      for (const q of [0.05, 0.1, 0.25, 0.5, 0.75]) expect(h[`${model}_Q${q}`], `${model} Q${q}`).toBeCloseTo(quantile(conf, q), 5);
      const bins = s.bins[model];
      expect(bins.reduce((a, b) => a + b.count, 0)).toBe(preds.length);
      // Confidence means something: the top bin is more accurate than the model overall.
      const top = bins[bins.length - 1];
      if (top.count > 20) expect(top.accuracy!).toBeGreaterThanOrEqual(h[`${model}_accuracy`]);
    }
    for (const p of preds) {
      const v = Number(p.knn_vote_fraction) * 5;
      expect(Math.abs(v - Math.round(v))).toBeLessThan(1e-5);
    }
    // The CNN is at least as confident as logistic regression at the median.
    expect(h['cnn_Q0.5']).toBeGreaterThanOrEqual(h['logreg_Q0.5']);
    checkRunFolder(out, ['hist_cnn', 'hist_knn', 'hist_logreg', 'hist_all', 'quantiles', 'accuracy_per_bin', 'accuracy_vs_confidence']);
  });
});
