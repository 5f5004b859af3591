// `nnlab run ensemble-size --quick` as a user runs it: the ensemble of all members beats one
// member on NLL and Brier (and is not worse on error), the run folder contract, the saved
// ensemble reloads and reproduces the reported numbers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ensemble, Generator, loadEnsemble, metrics } from '../../lib/index.js';
import { ENSEMBLE_SIZE_QUICK, sizeCurve } from '../../lib/studies/ensemble-size.js';
import { loadMnist } from '../../lib/studies/mnist.js';
import { lastJson, nnlab } from '../support/cli.js';
import { checkReportInBrowser, checkRunFolder, readCsv, Summary, tmp } from './helpers.js';

const FIGURES = ['error_vs_members', 'nll_vs_members', 'brier_vs_members', 'ensemble_size_table'];

describe('nnlab run ensemble-size', () => {
  it('quick preset: M = 5 beats M = 1 on NLL and Brier, error not worse; run folder complete', { timeout: 300_000 }, async () => {
    const out = tmp('ensemble-size');
    const r = nnlab(['run', 'ensemble-size', '--quick', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary & { curves: { members: number; error: number; nll: number; brier: number }[] }>(r.stdout);
    const h = s.headline as Record<string, number>;
    const M = ENSEMBLE_SIZE_QUICK.members;
    console.log(`ensemble-size quick: M=1 error ${(100 * h.error_M1).toFixed(2)}% NLL ${h.nll_M1.toFixed(4)} Brier ${h.brier_M1.toFixed(4)}; ` +
      `M=${M} error ${(100 * h[`error_M${M}`]).toFixed(2)}% NLL ${h[`nll_M${M}`].toFixed(4)} Brier ${h[`brier_M${M}`].toFixed(4)} (${s.seconds.toFixed(1)} s)`);
    expect(h[`nll_M${M}`]).toBeLessThan(h.nll_M1);
    expect(h[`brier_M${M}`]).toBeLessThan(h.brier_M1);
    expect(h[`error_M${M}`]).toBeLessThanOrEqual(h.error_M1);
    expect(h.error_M1).toBeLessThan(0.15); // the members learned something
    expect(s.curves.map((c) => c.members)).toEqual([1, 2, 3, 4, 5]);
    checkRunFolder(out, FIGURES);
    const rows = readCsv(join(out, 'metrics.csv'));
    expect(rows.length).toBe(ENSEMBLE_SIZE_QUICK.epochs * M);
    expect(Object.keys(rows[0])).toEqual(['variant', 'epoch', 'member', 'seed', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'seconds']);
    expect(new Set(rows.map((r) => r.seed)).size).toBe(M);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ study: 'ensemble-size', preset: 'quick', members: 5, batch: 100, hidden: 200, layers: 3 });

    // The saved ensemble reloads through a factory and gives the reported curve again.
    const { ensemble: ens } = loadEnsemble(join(out, 'ensemble.safetensors'), () => ensemble.deepEnsembleMlp(new Generator(0)));
    // Same limits as the run: the normalisation statistics come from its training split.
    const mnist = loadMnist({ testLimit: ENSEMBLE_SIZE_QUICK.testLimit, trainLimit: ENSEMBLE_SIZE_QUICK.trainLimit, device: 'cpu' });
    const probs = ens.memberProba(mnist.test.x);
    const again = sizeCurve('ensemble', probs, [M, mnist.test.n, 10], mnist.test.labels);
    again.forEach((c, k) => {
      expect(c.error).toBeCloseTo(s.curves[k].error, 9);
      expect(c.nll).toBeCloseTo(s.curves[k].nll, 5);
      expect(c.brier).toBeCloseTo(s.curves[k].brier, 5);
    });
    // The mean of the members' softmax is the ensemble's own predictive distribution.
    const pred = ens.predictProba(mnist.test.x);
    expect(metrics.nll(pred, mnist.test.labels)).toBeCloseTo(again[M - 1].nll, 5);
    mnist.dispose();
    await checkReportInBrowser(out, FIGURES.map((f) => `${f}.svg`));
  });

  it('rejects an unknown objective with a typed error', async () => {
    const { run } = await import('../../lib/studies/ensemble-size.js');
    await expect(run({ ...ENSEMBLE_SIZE_QUICK, out: tmp('ensemble-size-bad'), variants: [{ name: 'x', objective: 'nope' }] }))
      .rejects.toThrow(/unknown objective 'nope'/);
  });
});
