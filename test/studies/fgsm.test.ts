// `nnlab run fgsm --quick`: FGSM sweeps against logistic regression and the seed CNN on MNIST
// subsets. The softmax model is almost always fooled at eps 0.25 (Goodfellow et al.: 99.9%); the
// CNN's error rises with eps; the sweep table agrees with sweep.csv.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { run, FGSM_QUICK } from '../../lib/studies/fgsm.js';
import { lastJson, nnlab } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary, tmp } from './helpers.js';

interface Point { eps: number; error: number; meanConfidence: number }

describe('nnlab run fgsm', () => {
  it('quick preset: logistic regression fooled at eps 0.25, CNN error rising with eps', { timeout: 300_000 }, () => {
    const out = tmp('fgsm');
    const r = nnlab(['run', 'fgsm', '--quick', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary>(r.stdout);
    const h = s.headline as Record<string, number>;
    const sweep = s.sweep as Record<string, Point[]>;
    console.log(`fgsm quick (${s.seconds.toFixed(1)} s): ${['logreg', 'cnn'].map((m) => `${m} error ${sweep[m].map((p) => p.error.toFixed(3)).join(' ')}`).join('; ')}`);
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
    sweep.logreg.forEach((p, i) => { if (p.eps > 0) expect(cnn[i].error).toBeLessThan(p.error + 1e-9); });
    const csv = readCsv(join(out, 'sweep.csv'));
    expect(csv.length).toBe(14);
    for (const row of csv) {
      const p = sweep[row.model].find((q) => q.eps === Number(row.eps))!;
      expect(Number(row.error)).toBeCloseTo(p.error, 9);
      expect(Number(row.mean_confidence)).toBeCloseTo(p.meanConfidence, 6);
    }
    checkRunFolder(out, ['fgsm_table', 'accuracy_vs_eps', 'confidence_vs_eps', 'grid_logreg', 'grid_cnn', 'logreg_curves', 'cnn_curves']);
    expect(new Set(readCsv(join(out, 'metrics.csv')).map((m) => m.model))).toEqual(new Set(['logreg', 'cnn']));
  });

  it('rejects a bad configuration before training, naming the problem', async () => {
    await expect(run({ ...FGSM_QUICK, models: ['nope'] })).rejects.toThrow(/unknown model 'nope' \(known: logreg, cnn/);
    await expect(run({ ...FGSM_QUICK, eps: [0, 0.1] })).rejects.toThrow(/eps 0.25 .* must be one of eps \[0, 0.1\]/);
    await expect(run({ ...FGSM_QUICK, eps: [0, -1, 0.25, 0.1] })).rejects.toThrow(/finite and >= 0/);
  });
});
