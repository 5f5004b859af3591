// `nnlab run mlp --quick` as a user runs it: the 784-100-10 sigmoid MLP learns MNIST with both
// optimizers, the figures and the report table are there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { lastJson, nnlab } from '../support/cli.js';
import { checkReportInBrowser, checkRunFolder, readCsv, runQuick, Summary, tmp } from './helpers.js';

// The figures this study promises (data, not logic: every study test lists its own, then opens
// with runQuick, so these files look alike line by line).
const FIGURES = [
  'loss_curve',
  'test_accuracy',
  'sample_images',
  'predictions_before',
  'predictions_after_sgd',
  'predictions_after_adam',
  'report_vs_nnlab',
  'scores',
];

describe('nnlab run mlp', () => {
  it('quick preset: SGD >= 85% and Adam >= 90% test accuracy after 10 epochs on 10k images', { timeout: 600_000 }, async () => {
    const { out, s, h } = runQuick('mlp');
    console.log(
      `mlp quick: SGD ${(100 * h.sgd_test_accuracy).toFixed(2)}%, Adam ${(100 * h.adam_test_accuracy).toFixed(2)}%, ${h.sgd_seconds_per_epoch.toFixed(3)} s/epoch (shared machine), ${s.seconds.toFixed(1)} s`,
    );
    expect(h.train_images).toBe(10000);
    expect(h.sgd_test_accuracy).toBeGreaterThanOrEqual(0.85);
    expect(h.adam_test_accuracy).toBeGreaterThanOrEqual(0.9);
    expect(h.samples_correct_after).toBeGreaterThanOrEqual(8);
    checkRunFolder(out, FIGURES);
    const m = readCsv(join(out, 'metrics.csv'));
    expect(m.length).toBe(10);
    // Cross-entropy per image: ln(10) = 2.30 at chance, falling every epoch.
    const sgd = m.map((row) => Number(row.SGD_train_loss));
    expect(sgd[0]).toBeLessThan(2.31);
    for (let i = 1; i < sgd.length; i++) expect(sgd[i]).toBeLessThan(sgd[i - 1]);
    expect(Number(m[9].SGD_test_acc)).toBeCloseTo(h.sgd_test_accuracy, 6);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ study: 'mlp', preset: 'quick', hidden: 100, batch: 100, reduction: 'sum' });
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('report says');
    await checkReportInBrowser(
      out,
      FIGURES.map((f) => `${f}.svg`),
    );
  });

  it('--epochs overrides the preset', { timeout: 300_000 }, () => {
    const out = tmp('mlp-epochs');
    const r = nnlab(['run', 'mlp', '--quick', '--epochs', '2', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson<Summary>(r.stdout).headline.epochs).toBe(2);
    expect(readCsv(join(out, 'metrics.csv')).length).toBe(2);
  });
});
