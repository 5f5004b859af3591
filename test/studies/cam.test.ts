// `nnlab run cam --quick`: the four maps, the report's sweeps and the faithfulness of each method,
// run as a user runs it.
import { describe, expect, it } from 'vitest';

import { lastJson, nnlab } from '../support/cli.js';
import { checkRunFolder, Summary, tmp } from './helpers.js';

describe('nnlab run cam', () => {
  it('quick preset: faithfulness against a random map, the brightness sweep, one digit vs another class', { timeout: 900_000 }, () => {
    const out = tmp('cam');
    const r = nnlab(['run', 'cam', '--quick', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const h = lastJson<Summary>(r.stdout).headline as Record<string, number>;
    const methods = ['CAM', 'Grad-CAM', 'Grad-CAM++', 'Score-CAM'];
    console.log(
      `cam quick: accuracy ${(100 * h.mnist_test_accuracy).toFixed(2)}%; deletion AUC ${methods.map((m) => `${m} ${h[`mnist_${m}_deletion_auc`].toFixed(3)}`).join(', ')}, random ${h.mnist_random_deletion_auc.toFixed(3)}`,
    );
    expect(h.mnist_test_accuracy).toBeGreaterThanOrEqual(0.8);
    // Score-CAM ranks pixels better than chance both ways; the gradient maps help insertion. (Deletion to
    // black on MNIST cannot credit maps that mark the dark ground around strokes: docs/studies/explain.md.)
    expect(h['mnist_Score-CAM_deletion_auc']).toBeLessThan(h.mnist_random_deletion_auc);
    expect(h['mnist_Score-CAM_insertion_auc']).toBeGreaterThan(h.mnist_random_insertion_auc + 0.1);
    for (const m of ['Grad-CAM', 'Grad-CAM++']) expect(h[`mnist_${m}_insertion_auc`], m).toBeGreaterThan(h.mnist_random_insertion_auc);
    // The report's brightness sweep: the score collapses at the extremes and recovers in between.
    expect(h.mnist_brightness_min_score).toBeLessThan(0.2);
    expect(h.mnist_brightness_max_score).toBeGreaterThan(0.7);
    // One digit of the class scores high, another class's digit low (the report's 99.92% / 0.00%).
    expect(h.mnist_score_one).toBeGreaterThan(0.5);
    expect(h.mnist_score_none).toBeLessThan(0.2);
    checkRunFolder(out, [
      'mnist_maps',
      'mnist_sweeps',
      'mnist_sweep_images',
      'mnist_one_several_none',
      'mnist_deletion',
      'mnist_insertion',
      'mnist_faithfulness',
      'report_vs_nnlab',
    ]);
  });
});
