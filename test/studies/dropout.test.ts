// `nnlab run dropout --quick`: four setups, per-epoch losses, and the overfitting the seed report
// describes for the inverted setup without dropout.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { lastJson } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary } from './helpers.js';
import { quickRun } from './quick-run.js';

const SETUPS = ['normal', 'inverted', 'no-dropout', 'inverted-no-dropout'];
const FIGURES = [
  'report_vs_nnlab',
  'overfitting',
  'findings',
  ...SETUPS.map((s) => `loss_${s}`),
  'train_loss_overlaid',
  'test_loss_overlaid',
  'all_losses_overlaid',
  'generalisation_gap',
];

describe('nnlab run dropout', () => {
  it('quick preset: the inverted setup without dropout overfits, dropout keeps the gap small', { timeout: 600_000 }, () => {
    const { out, r } = quickRun('dropout');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary>(r.stdout);
    const h = s.headline as Record<string, number>;
    console.log(
      `dropout quick: ${SETUPS.map((n) => `${n} gap ${h[`${n}_gap`].toFixed(3)} rise ${h[`${n}_test_loss_rise`].toFixed(3)}`).join('; ')} in ${s.seconds.toFixed(1)} s`,
    );
    checkRunFolder(out, FIGURES);
    const rows = readCsv(join(out, 'metrics.csv'));
    expect(rows.length).toBe(4 * 12);
    expect(new Set(rows.map((x) => x.setup))).toEqual(new Set(SETUPS));
    const setups = s.setups as {
      name: string;
      trainImages: number;
      evalImages: number;
      finalTrain: number;
      bestTest: number;
      rise: number;
    }[];
    // Inverted = trained on the (limited) test split, evaluated on the (limited) train split.
    expect(setups.find((x) => x.name === 'inverted')).toMatchObject({ trainImages: 1000, evalImages: 2000 });
    expect(setups.find((x) => x.name === 'normal')).toMatchObject({ trainImages: 2000, evalImages: 1000 });
    const inv = setups.find((x) => x.name === 'inverted-no-dropout')!;
    // Overfitting: the test loss climbs more than 5% above its minimum, and the gap dwarfs the normal setup's.
    expect(inv.rise).toBeGreaterThan(0.05 * inv.bestTest);
    expect(h['inverted-no-dropout_gap']).toBeGreaterThan(h.normal_gap + 0.2);
    // Dropout: a higher train loss, a smaller gap.
    expect(setups.find((x) => x.name === 'inverted')!.finalTrain).toBeGreaterThan(inv.finalTrain);
    expect(h.inverted_gap).toBeLessThan(h['inverted-no-dropout_gap']);
    // Less training data: a higher test loss.
    expect(h.inverted_final_test_loss).toBeGreaterThan(h.normal_final_test_loss);
    expect(h.normal_test_accuracy).toBeGreaterThanOrEqual(0.9);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('report says');
    // The findings table says, from the numbers, that this curve overfits.
    const findings = html.slice(html.indexOf('What the curves show'));
    expect(findings).toMatch(/inverted-no-dropout<\/td><td[^>]*>[^<]*overfitting/);
  });
});
