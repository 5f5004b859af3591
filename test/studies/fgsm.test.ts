// `nnlab run fgsm --quick`: FGSM sweeps against logistic regression, the seed CNN, a ResNet18
// and a ResNet18 ensemble (2 tiny seed-000 members trained in the run, attacked through the
// differentiable 28 -> 32 pipeline) on MNIST subsets. The softmax model is almost always fooled at
// eps 0.25 (Goodfellow et al.: 99.9%); the CNN's and the ResNets' errors rise with eps; the sweep
// table agrees with sweep.csv.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { run, FGSM_QUICK } from '../../lib/studies/fgsm.js';
import { lastJson, nnlab } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary } from './helpers.js';
import { quickRun } from './quick-run.js';

interface Point {
  eps: number;
  error: number;
  meanConfidence: number;
}

describe('nnlab run fgsm', () => {
  it('quick preset: logistic regression fooled at eps 0.25, CNN and ResNet errors rising with eps', { timeout: 300_000 }, () => {
    const { out, r } = quickRun('fgsm');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary>(r.stdout);
    const h = s.headline as Record<string, number>;
    const sweep = s.sweep as Record<string, Point[]>;
    console.log(
      `fgsm quick (${s.seconds.toFixed(1)} s): ${['logreg', 'cnn', 'resnet18', 'ensemble'].map((m) => `${m} error ${sweep[m].map((p) => p.error.toFixed(3)).join(' ')}`).join('; ')}`,
    );
    expect(h.eps).toBe(0.25);
    expect(h.logreg_clean_accuracy).toBeGreaterThan(0.85);
    expect(h.cnn_clean_accuracy).toBeGreaterThan(0.93);
    expect(h.logreg_fgsm_error).toBeGreaterThanOrEqual(0.99);
    // The CNN: error rises with eps, steeply (from a few % to most images).
    const cnn = sweep.cnn;
    expect(cnn.map((p) => p.eps)).toEqual([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
    for (let i = 1; i < cnn.length; i++) expect(cnn[i].error, `eps ${cnn[i].eps}`).toBeGreaterThan(cnn[i - 1].error);
    expect(h.cnn_fgsm_error).toBeGreaterThan(0.5);
    expect(h.cnn_fgsm_error - (1 - h.cnn_clean_accuracy)).toBeGreaterThan(0.4);
    // The CNN resists FGSM better than the shallow softmax model at every eps > 0.
    sweep.logreg.forEach((p, i) => {
      if (p.eps > 0) expect(cnn[i].error).toBeLessThan(p.error + 1e-9);
    });
    // The ResNet18 and the ensemble: tiny members (1 epoch on 400 images) still well above chance,
    // attacked on the first 100 test images; FGSM through the resize raises their error with eps.
    for (const id of ['resnet18', 'ensemble']) {
      expect(h[`${id}_clean_accuracy`], id).toBeGreaterThan(0.4);
      expect(h[`${id}_test_images`], id).toBe(100);
      const pts = sweep[id];
      for (let i = 1; i < pts.length; i++) expect(pts[i].error, `${id} eps ${pts[i].eps}`).toBeGreaterThanOrEqual(pts[i - 1].error - 0.02);
      expect(h[`${id}_fgsm_error`] - (1 - h[`${id}_clean_accuracy`]), id).toBeGreaterThan(0.2);
      expect(pts[pts.length - 1].nll, id).toBeGreaterThan(pts[0].nll);
    }
    const models = s.models as Record<
      string,
      { member?: { seed: number; cached: boolean }; members?: { seed: number; cached: boolean }[] }
    >;
    expect(models.ensemble.members!.map((m) => [m.seed, m.cached])).toEqual([
      [0, false],
      [1, false],
    ]);
    expect([0, 1]).toContain(models.resnet18.member!.seed);
    const csv = readCsv(join(out, 'sweep.csv'));
    expect(csv.length).toBe(28);
    for (const row of csv) {
      const p = sweep[row.model].find((q) => q.eps === Number(row.eps))!;
      expect(Number(row.error)).toBeCloseTo(p.error, 9);
      expect(Number(row.mean_confidence)).toBeCloseTo(p.meanConfidence, 6);
      expect(Number(row.test_images)).toBe(row.model === 'resnet18' || row.model === 'ensemble' ? 100 : 500);
    }
    checkRunFolder(out, [
      'fgsm_table',
      'accuracy_vs_eps',
      'confidence_vs_eps',
      'grid_logreg',
      'grid_cnn',
      'grid_resnet18',
      'grid_ensemble',
      'logreg_curves',
      'cnn_curves',
    ]);
    expect(new Set(readCsv(join(out, 'metrics.csv')).map((m) => m.model))).toEqual(new Set(['logreg', 'cnn']));
  });

  it('--epochs applies to fgsm only', () => {
    const r = nnlab(['run', 'cnn', '--quick', '--epochs', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--epochs does not apply to study 'cnn'/);
  });

  it('rejects a bad configuration before training, naming the problem', async () => {
    await expect(run({ ...FGSM_QUICK, models: ['nope'] })).rejects.toThrow(/unknown model 'nope' \(known: logreg, cnn, resnet18, ensemble/);
    await expect(run({ ...FGSM_QUICK, members: undefined })).rejects.toThrow(/model 'resnet18' needs the ResNet18 members/);
    await expect(run({ ...FGSM_QUICK, epochs: 0 })).rejects.toThrow(/epochs must be a positive integer, got 0/);
    await expect(run({ ...FGSM_QUICK, eps: [0, 0.1] })).rejects.toThrow(/eps 0.25 .* must be one of eps \[0, 0.1\]/);
    await expect(run({ ...FGSM_QUICK, eps: [0, -1, 0.25, 0.1] })).rejects.toThrow(/finite and >= 0/);
  });
});
