// `nnlab run linreg --quick`: SGD on y = 5x + N(0, 5^2) converges on standardised data, the raw
// data diverges at lr 1e-2 (named, stopped, not plotted as NaN), and tiny learning rates crawl.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { lastJson } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary } from './helpers.js';
import { quickRun } from './quick-run.js';

const FIGURES = [
  'report_vs_nnlab',
  ...['lr_standardised', 'batch_standardised', 'lr_raw'].flatMap((g) => [`loss_${g}`, `slope_${g}`, `fit_${g}`]),
];

describe('nnlab run linreg', () => {
  it('converges when standardised, diverges raw at lr 1e-2, and says so', { timeout: 600_000 }, () => {
    const { out, r } = quickRun('linreg');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary>(r.stdout);
    const h = s.headline as Record<string, number>;
    console.log(`linreg quick: ${JSON.stringify(h)} in ${s.seconds.toFixed(1)} s`);
    // The least-squares slope of 100 noisy points is within 2% of the true m = 5.
    expect(Math.abs(h.least_squares_slope - 5)).toBeLessThan(0.1);
    // Standardised, lr 1e-2 and 1e-3 reach the least-squares slope within 2%.
    for (const lr of ['0.01', '0.001']) expect(Math.abs(h[`standardised_lr_${lr}_slope`] / h.least_squares_slope - 1)).toBeLessThan(0.02);
    // lr 1e-5 is far from it after 50 epochs (the report: -0.41 after 200).
    expect(Math.abs(h['standardised_lr_0.00001_slope'] - h.least_squares_slope)).toBeGreaterThan(1);
    // Batch 1 settles before batch 10; batch 100 (one step per epoch) later or never.
    expect(h.standardised_batch_1_settled_epoch).toBeGreaterThan(0);
    expect(h.standardised_batch_10_settled_epoch).toBeGreaterThan(h.standardised_batch_1_settled_epoch);
    expect(
      h.standardised_batch_100_settled_epoch === -1 || h.standardised_batch_100_settled_epoch > h.standardised_batch_10_settled_epoch,
    ).toBe(true);
    // Raw data: lr 1e-2 diverges in the first epoch; lr 1e-4 converges.
    expect(h['raw_lr_0.01_diverged_at_epoch']).toBe(1);
    expect(Math.abs(h['raw_lr_0.0001_slope'] - 5)).toBeLessThan(0.1);
    checkRunFolder(out, FIGURES);
    // The diverged run is named in the legend and its NaN/Inf epochs are not in the data.
    expect(readFileSync(join(out, 'loss_lr_raw.svg'), 'utf8')).toMatch(/lr 1e-2 \(diverged at epoch 1\)/);
    for (const row of readCsv(join(out, 'metrics.csv')))
      for (const k of ['mse', 'slope']) expect(Number.isFinite(Number(row[k])), `${k} ${row[k]}`).toBe(true);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(/diverged at epoch 1/);
  });
});
