// `nnlab run adv-train --quick`: the seed CNN trained normally, with Goodfellow's adversarial
// objective and with the random-sign control on an MNIST subset. FGSM training cuts the FGSM
// error; random noise of the same size does not (and barely hurts any model); PGD is at least
// as strong as FGSM against every model.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ADV_TRAIN_QUICK, run } from '../../lib/studies/adv-train.js';
import { lastJson } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary } from './helpers.js';
import { quickRun } from './quick-run.js';

describe('nnlab run adv-train', () => {
  it("quick preset: FGSM training lowers the CNN's FGSM error, the random-sign control does not", { timeout: 300_000 }, () => {
    const { out, r } = quickRun('adv-train');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary>(r.stdout);
    const h = s.headline as Record<string, number>;
    console.log(
      `adv-train quick (${s.seconds.toFixed(1)} s): ${['plain', 'goodfellow', 'random-sign']
        .map(
          (v) =>
            `${v} clean ${h[`${v}_clean_accuracy`]} fgsm ${h[`${v}_fgsm_error`]} pgd ${h[`${v}_pgd_error`]} noise ${h[`${v}_random_sign_error`]}`,
        )
        .join('; ')}`,
    );
    expect(h.eps).toBe(0.25);
    for (const v of ['plain', 'goodfellow', 'random-sign']) {
      expect(h[`${v}_clean_accuracy`], v).toBeGreaterThan(0.9);
      // PGD (iterated, random start) is at least as strong as one FGSM step.
      expect(h[`${v}_pgd_error`], v).toBeGreaterThanOrEqual(h[`${v}_fgsm_error`] - 0.02);
      // Random signs of the same size are far weaker than the gradient's signs.
      expect(h[`${v}_random_sign_error`], v).toBeLessThan(h[`${v}_fgsm_error`] / 2);
    }
    expect(h.plain_fgsm_error).toBeGreaterThan(0.6);
    expect(h.goodfellow_fgsm_error).toBeLessThan(0.75 * h.plain_fgsm_error);
    expect(h.goodfellow_fgsm_error).toBeLessThan(h['random-sign_fgsm_error']);
    expect(h.goodfellow_fgsm_error_ratio).toBeCloseTo(h.goodfellow_fgsm_error / h.plain_fgsm_error, 9);
    const rows = readCsv(join(out, 'results.csv'));
    const row = (v: string, attack: string, eps: number) =>
      rows.find((x) => x.variant === v && x.attack === attack && Number(x.eps) === eps)!;
    expect(Number(row('goodfellow', 'fgsm', 0.25).error)).toBeCloseTo(h.goodfellow_fgsm_error, 9);
    expect(Number(row('plain', 'clean', 0).accuracy)).toBeCloseTo(h.plain_clean_accuracy, 9);
    expect(Number(row('plain', 'pgd', 0.25).error)).toBeCloseTo(h.plain_pgd_error, 9);
    // Proper scoring rules get worse under attack.
    expect(Number(row('plain', 'fgsm', 0.25).nll)).toBeGreaterThan(Number(row('plain', 'clean', 0).nll));
    expect(Number(row('plain', 'fgsm', 0.25).brier)).toBeGreaterThan(Number(row('plain', 'clean', 0).brier));
    checkRunFolder(out, [
      'adv_train_table',
      'accuracy_vs_eps',
      'confidence_vs_eps',
      'loss_curves',
      'grid_plain',
      'grid_goodfellow',
      'grid_random-sign',
    ]);
    const metrics = readCsv(join(out, 'metrics.csv'));
    expect(metrics.length).toBe(3 * ADV_TRAIN_QUICK.train.epochs);
    expect(new Set(metrics.map((m) => m.variant))).toEqual(new Set(['plain', 'goodfellow', 'random-sign']));
  });

  it('rejects a bad configuration before training, naming the problem', async () => {
    await expect(run({ ...ADV_TRAIN_QUICK, evalEps: [0, 0.1] })).rejects.toThrow(/eps 0.25 .* must be one of evalEps \[0, 0.1\]/);
    await expect(run({ ...ADV_TRAIN_QUICK, variants: [ADV_TRAIN_QUICK.variants[0], ADV_TRAIN_QUICK.variants[0]] })).rejects.toThrow(
      /variant id 'plain' must be unique/,
    );
    await expect(run({ ...ADV_TRAIN_QUICK, pgd: { steps: 0, stepSize: 0.1 } })).rejects.toThrow(/pgd needs steps >= 1/);
  });
});
