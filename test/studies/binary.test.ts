// `nnlab run binary --quick`: the report's 2-4-1 network reaches its 97.5% test accuracy after
// 200 epochs (the quick preset keeps the report's setting), and the plots it needs behave.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ArgumentError } from '../../lib/index.js';
import { confusionCounts, confusionMatrixSvg, decisionRegions } from '../../lib/viz/index.js';
import { checkReportInBrowser, checkRunFolder, readCsv, runQuick } from './helpers.js';

// The figures this study promises (data, not logic: every study test lists its own, then opens
// with runQuick, so these files look alike line by line).
const FIGURES = [
  'report_vs_nnlab',
  'loss_curve',
  'accuracy_curve',
  'decision_regions_20',
  'decision_regions_200',
  'confusion_train_20',
  'confusion_test_20',
  'confusion_train_200',
  'confusion_test_200',
];

describe('nnlab run binary', () => {
  it('reaches >= 97.5% test accuracy after 200 epochs and fills the run folder', { timeout: 600_000 }, async () => {
    const { out, s, h } = runQuick('binary');
    console.log(
      `binary quick: test accuracy ${h.test_accuracy_0} -> ${h.test_accuracy_20} (20 epochs) -> ${h.test_accuracy_200} (200 epochs), Bayes ${h.bayes_test_accuracy}, ${s.seconds.toFixed(1)} s`,
    );
    // The report's number, met on the 40 test points (one error allowed).
    expect(h.test_accuracy_200).toBeGreaterThanOrEqual(0.975);
    expect(h.train_accuracy_200).toBeGreaterThanOrEqual(0.95);
    // Training does the work: before it the network is near chance.
    expect(h.test_accuracy_0).toBeLessThan(0.8);
    // No classifier beats the Bayes rule by more than luck on 40 points.
    expect(h.test_accuracy_200).toBeLessThanOrEqual(h.bayes_test_accuracy + 0.05);
    checkRunFolder(out, FIGURES);
    const metrics = readCsv(join(out, 'metrics.csv'));
    expect(metrics.length).toBe(201);
    expect(Number(metrics[200].test_acc)).toBeCloseTo(h.test_accuracy_200, 6);
    expect(Number(metrics[200].train_loss)).toBeLessThan(Number(metrics[0].train_loss));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('report says');
    expect(html).toContain('QUICK preset');
    // The report-vs-nnlab table opens the tables.
    expect(html.match(/<caption>([^<]*)/)![1]).toMatch(/separate the two clusters/);
    const svg = readFileSync(join(out, 'decision_regions_200.svg'), 'utf8');
    for (const label of ['train, class 1 (1,2)', 'test, class 0 (3,5)', 'misclassified', 'boundary (score 0.5)'])
      expect(svg).toContain(label);
    await checkReportInBrowser(
      out,
      FIGURES.map((f) => `${f}.svg`),
    );
  });
});

describe('binary plots', () => {
  it('confusion counts: rows are the true class, bad labels are named', () => {
    expect(confusionCounts([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 2)).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(() => confusionCounts([0, 2], [0, 1], 2)).toThrow(ArgumentError);
    expect(() => confusionCounts([0, 2], [0, 1], 2)).toThrow(/item 1 has label 2/);
    expect(() => confusionCounts([0], [0, 1], 2)).toThrow(/1 labels but 2 predictions/);
  });

  it('confusion matrix shows counts, row shares and axis titles', () => {
    const svg = confusionMatrixSvg(
      [
        [22, 1],
        [0, 17],
      ],
      ['neg', 'pos'],
      { title: 'Test' },
    );
    for (const s of ['>22<', '>17<', '95.7% of row', 'predicted class', 'true class', '39 / 40 correct (97.5%)']) expect(svg).toContain(s);
    expect(() => confusionMatrixSvg([[1, 2]], ['a', 'b'])).toThrow(/2 x 2 matrix/);
  });

  it('decision regions check the grid size', () => {
    expect(() => decisionRegions({ xDomain: [0, 1], yDomain: [0, 1], nx: 3, ny: 3, score: [0.5] }, [], { classNames: ['a', 'b'] })).toThrow(
      /3 x 3 grid needs 9 scores, got 1/,
    );
  });
});
