// `nnlab run ensemble-regression --quick`: the Deep Ensembles toy. The 5-member NLL ensemble with
// adversarial training fits x^3 inside the data, its sigma grows outside it, and it covers the
// truth far better than the MSE nets' empirical variance.
import { describe, expect, it } from 'vitest';

import { lastJson } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary } from './helpers.js';
import { quickRun } from './quick-run.js';
import { join } from 'node:path';

const MODELS = [
  'mse-single',
  'mse-ensemble',
  'nll-single',
  'nll-adversarial-single',
  'nll-ensemble',
  'nll-adversarial-ensemble',
  'mc-dropout',
];

describe('nnlab run ensemble-regression', () => {
  it('quick preset: the ensemble band widens away from the data and covers the truth', { timeout: 600_000 }, () => {
    const { out, r } = quickRun('ensemble-regression');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary>(r.stdout);
    const h = s.headline as Record<string, number>;
    console.log(
      `ensemble-regression quick: ensemble+AT truth within 3 sigma ${h.ensemble_adv_truth_within_3sigma.toFixed(3)}, sigma ${h.ensemble_adv_sigma_in.toFixed(2)} in / ${h.ensemble_adv_sigma_out.toFixed(2)} out, test NLL ${h.ensemble_adv_test_nll.toFixed(3)}`,
    );
    // Inside [-4, 4]: the mean is within a few noise sd of x^3 and sigma near the noise's 3.
    expect(h.ensemble_adv_rmse_in).toBeLessThan(8);
    expect(h.ensemble_adv_sigma_in).toBeGreaterThan(1.5);
    expect(h.ensemble_adv_sigma_in).toBeLessThan(8);
    // Outside the data the ensemble is less sure.
    expect(h.ensemble_adv_sigma_out).toBeGreaterThan(1.5 * h.ensemble_adv_sigma_in);
    // A Gaussian with sd 3 has NLL 2.52; a good fit is within half a nat of it.
    expect(h.ensemble_adv_test_nll).toBeLessThan(3.2);
    expect(h.ensemble_adv_truth_within_3sigma).toBeGreaterThan(0.6);
    expect(h.ensemble_adv_truth_within_3sigma).toBeGreaterThan(h.mse_ensemble_truth_within_3sigma + 0.2);
    checkRunFolder(out, [...MODELS.map((m) => `band_${m}`), 'training_loss', 'scores', 'report_vs_nnlab']);
    const rows = readCsv(join(out, 'metrics.csv'));
    expect(rows.length).toBe(241);
    expect(Number(rows[0].x)).toBeCloseTo(-6, 5);
    expect(Number(rows[240].truth)).toBeCloseTo(216, 3);
  });
});
