// `nnlab run knn-max --quick` as a user runs it: the exact k-NN (k = 3, 5) is driven to p >= 0.6
// on every pair of the 10x10 grid, next to the CNN, and each model judges the other's images.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { checkReportInBrowser, checkRunFolder, runQuick } from './helpers.js';

const FIGURES = ['grid_knn_k3', 'grid_knn_k5', 'grid_cnn', 'p_curves', 'knn_vs_cnn', 'report_vs_nnlab'];

describe('nnlab run knn-max', () => {
  it(
    'quick preset: k = 3 and 5 reach p >= 0.6 on all 90 pairs; the images do not carry over to the CNN',
    { timeout: 600_000 },
    async () => {
      const { out, s, h } = runQuick('knn-max');
      console.log(
        `knn-max quick: k=3 ${h.knn3_pairs_reached}/90 (median ${h.knn3_median_steps}, max ${h.knn3_max_steps} steps), ` +
          `k=5 ${h.knn5_pairs_reached}/90 (median ${h.knn5_median_steps}, max ${h.knn5_max_steps}), CNN ${h.cnn_pairs_reached}/90 (median ${h.cnn_median_steps}); ` +
          `CNN p on k-NN images ${h.knn3_cnn_p_of_images.toFixed(3)} / ${h.knn5_cnn_p_of_images.toFixed(3)}; ${s.seconds.toFixed(1)} s`,
      );
      expect(h.pairs).toBe(90);
      expect(h.knn_memory).toBe(10000);
      for (const k of [3, 5]) {
        expect(h[`knn${k}_pairs_reached`]).toBe(90);
        expect(h[`knn${k}_median_steps`]).toBeGreaterThan(0);
        expect(h[`knn${k}_max_steps`]).toBeLessThanOrEqual(200);
        // The report: the k-NN's images stay blurry and do not show the target's traits; the CNN agrees.
        expect(h[`knn${k}_cnn_p_of_images`]).toBeLessThan(0.5);
      }
      expect(h.cnn_pairs_reached).toBe(90);
      expect(h.cnn_test_accuracy).toBeGreaterThanOrEqual(0.94);

      checkRunFolder(out, FIGURES);
      expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Report says / nnlab gets (quick preset');
      expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({
        study: 'knn-max',
        preset: 'quick',
        ks: [3, 5],
        targetProb: 0.6,
      });
      await checkReportInBrowser(
        out,
        FIGURES.map((f) => `${f}.svg`),
      );
    },
  );
});
