// `nnlab run class-max --quick` as a user runs it: the log loss turns every test image into every
// class, the naive loss stalls on the confidently classified starts, the run folder is complete.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { checkReportInBrowser, checkRunFolder, runQuick } from './helpers.js';

// The figures this study promises (data, not logic: every study test lists its own, then opens
// with runQuick, so these files look alike line by line).
const FIGURES = [
  'grid_log',
  'grid_naive_lr0p1',
  'grid_naive_lr100',
  'naive_vs_log',
  'p_target_curves',
  'grad_norm_curves',
  'lr_sweep',
  'lr_sweep_curves',
  'random_starts',
  'trajectory',
  'report_vs_nnlab',
];

describe('nnlab run class-max', () => {
  it('quick preset: log loss reaches p >= 0.9 on all 90 pairs, the naive loss stalls', { timeout: 600_000 }, async () => {
    const { out, s, h } = runQuick('class-max');
    console.log(
      `class-max quick: log loss ${h.log_pairs_reached}/${h.pairs} pairs (min p ${h.log_min_p_target.toFixed(4)}, median ${h.log_median_steps} steps); ` +
        `naive: ${h.naive_confident_reached}/${h.confident_pairs} confident starts, median |grad| ${h.naive_confident_median_grad_norm.toExponential(2)} vs ${h.log_confident_median_grad_norm.toFixed(2)}; ${s.seconds.toFixed(1)} s`,
    );
    expect(s.study).toBe('class-max');
    expect(h.cnn_test_accuracy).toBeGreaterThanOrEqual(0.94);
    // The log loss with a normalised gradient: every (source, target) pair of the 10x10 grid.
    expect(h.pairs).toBe(90);
    expect(h.log_pairs_reached).toBe(90);
    expect(h.log_min_p_target).toBeGreaterThanOrEqual(0.9);
    // The naive loss -p: on starts with p_target < 1e-3 (most of the grid for a trained CNN) its
    // gradient is p_t times the log loss's, so it barely moves the image and p_t stays low.
    expect(h.confident_pairs).toBeGreaterThanOrEqual(30);
    expect(h.naive_confident_reached).toBe(0);
    expect(h.naive_confident_max_p).toBeLessThan(0.01);
    expect(h.naive_confident_median_grad_norm).toBeLessThan(1e-3);
    expect(h.log_confident_median_grad_norm).toBeGreaterThan(0.1);
    expect(h.naive_confident_median_moved).toBeLessThan(0.05);
    expect(h.naive_pairs_reached).toBeLessThan(h.log_pairs_reached);
    expect(h.random_starts_reached).toBe(h.random_starts);
    const lrs = s.lr_sweep as { lr: number; reached: number; median_steps: number }[];
    expect(lrs.map((l) => l.lr)).toEqual([0.01, 0.1, 0.5, 2]);
    // A larger step reaches the target in fewer steps.
    expect(lrs[1].median_steps).toBeLessThan(lrs[0].median_steps);
    expect(lrs[3].median_steps).toBeLessThanOrEqual(lrs[2].median_steps);

    checkRunFolder(out, FIGURES);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Report says / nnlab gets (quick preset)');
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({
      study: 'class-max',
      preset: 'quick',
      lr: 0.1,
      naiveLrs: [0.1, 100],
    });
    await checkReportInBrowser(out, [...FIGURES.map((f) => `${f}.svg`)]);
  });
});
