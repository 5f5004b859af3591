// `nnlab run autoencoder --quick`: the FashionMNIST autoencoder reaches the report's first
// plateau (the MSE of always predicting the mean image), leaves it, and its 2-D codes separate
// the report's groups; the noise and latent figures exist.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { lastJson } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary } from './helpers.js';
import { quickRun } from './quick-run.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const FIGURES = [
  'loss_curve',
  'mse_per_pixel',
  'reconstructions_epoch0',
  'reconstructions_final',
  'mse_vs_noise',
  'noise_reconstructions',
  'latent_groups',
  'latent_classes',
  'report_vs_nnlab',
];

describe('nnlab run autoencoder', () => {
  it('quick preset: reaches the mean-image plateau, leaves it, and separates the groups in 2-D', { timeout: 600_000 }, () => {
    if (!existsSync(FASHION) && !process.env.NNLAB_FASHION_DIR) {
      console.log(`autoencoder test skipped: FashionMNIST is not in ${FASHION} (apt-get install dataset-fashion-mnist)`);
      return;
    }
    const { out, r } = quickRun('autoencoder');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary>(r.stdout);
    const h = s.headline as Record<string, number>;
    console.log(
      `autoencoder quick: train MSE/pixel ${h.train_mse_per_pixel.toFixed(4)}, mean image ${(h.mean_image_plotted_loss / 16).toFixed(4)}, ${h.seconds_per_epoch.toFixed(2)} s/epoch (shared machine)`,
    );
    expect(h.train_images).toBe(4000);
    checkRunFolder(out, FIGURES);
    const m = readCsv(join(out, 'metrics.csv'));
    expect(m.length).toBe(25);
    const first = Number(m[0].train_mse_per_pixel),
      last = Number(m[24].train_mse_per_pixel);
    // Sigmoid outputs near 0.5 at the start: MSE ~0.17 on FashionMNIST pixels.
    expect(first).toBeGreaterThan(0.12);
    // 16 batches of 256 per epoch: the plotted loss is 16x the per-pixel MSE; the mean image scores ~0.087.
    const meanImage = h.mean_image_plotted_loss / 16;
    expect(meanImage).toBeGreaterThan(0.08);
    expect(meanImage).toBeLessThan(0.095);
    expect(h.plateau_epochs).toBeGreaterThanOrEqual(1);
    // Past the plateau: the report's "second plateau below 0.3" is a per-pixel MSE below 0.075.
    expect(last).toBeLessThan(meanImage * 0.85);
    expect(h.test_mse_per_pixel).toBeLessThan(meanImage * 0.85);
    // Nearest group centroid in the latent plane: 4 groups, tops alone are 51% of the images.
    expect(h.latent_group_centroid_agreement).toBeGreaterThan(0.6);
    // Against the noisy input the error grows with c (the noise itself cannot be reconstructed).
    expect(h['test_mse_vs_input_noise_1']).toBeGreaterThan(h['test_mse_vs_input_noise_0.5']);
    expect(h['test_mse_vs_input_noise_0.5']).toBeGreaterThan(h['test_mse_vs_input_noise_0']);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ study: 'autoencoder', preset: 'quick', widths: [128, 32, 2], lr: 10, batch: 256 });
  });
});
