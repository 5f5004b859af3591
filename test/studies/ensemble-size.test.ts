// `nnlab run ensemble-size --quick` as a user runs it: plain, random-sign (+ R) and
// adversarially trained (+ AT) ensembles. Every ensemble beats one member on NLL and Brier (and is
// not worse on error); the adversarially trained ensembles have a lower NLL than the plain ones at
// every M (the paper's ordering); the run folder contract; a saved ensemble reloads and reproduces
// the reported numbers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { ensemble, RandomGenerator, loadEnsemble, metrics } from '../../lib/index.js';
import { ENSEMBLE_SIZE_QUICK, sizeCurve } from '../../lib/studies/ensemble-size.js';
import type { SizeRow } from '../../lib/studies/ensemble-size.js';
import { loadMnist } from '../../lib/data/mnist.js';
import { lastJson } from '../support/cli.js';
import { checkReportInBrowser, checkRunFolder, readCsv, Summary, tmp } from './helpers.js';
import { quickRun } from './quick-run.js';

const FIGURES = ['error_vs_members', 'nll_vs_members', 'brier_vs_members', 'ensemble_size_table'];

describe('nnlab run ensemble-size', () => {
  it(
    'quick preset: ensembles beat one member; adversarial training lowers NLL at every M; run folder complete',
    { timeout: 300_000 },
    async () => {
      const { out, r } = quickRun('ensemble-size');
      expect(r.code, r.stderr).toBe(0);
      const s = lastJson<Summary & { curves: SizeRow[] }>(r.stdout);
      const M = ENSEMBLE_SIZE_QUICK.members;
      const curve = (objective: string) => {
        const name = ENSEMBLE_SIZE_QUICK.variants.find((v) => v.objective === objective)!.name;
        return s.curves.filter((c) => c.variant === name);
      };
      for (const v of ENSEMBLE_SIZE_QUICK.variants) {
        const rows = curve(v.objective);
        console.log(
          `ensemble-size quick, ${v.name}: error % ${rows.map((c) => (100 * c.error).toFixed(2)).join(' ')}; NLL ${rows.map((c) => c.nll.toFixed(4)).join(' ')}; ` +
            `Brier ${rows.map((c) => c.brier.toFixed(4)).join(' ')}`,
        );
        expect(rows.map((c) => c.members)).toEqual([1, 2, 3, 4, 5]);
        // Every ensemble (M >= 2) beats a single member on NLL and Brier; M = 5 is not worse on error.
        // Not asserted: a curve falling at EVERY step. On 1000 training images a 5th member can
        // raise the ensemble's NLL by < 0.5% (seed 0, plain: 0.3905 at M = 4, 0.3923 at M = 5).
        for (const c of rows.slice(1)) {
          expect(c.nll, `${v.name} M=${c.members}`).toBeLessThan(rows[0].nll);
          expect(c.brier, `${v.name} M=${c.members}`).toBeLessThan(rows[0].brier);
        }
        expect(rows[M - 1].error).toBeLessThanOrEqual(rows[0].error);
        expect(rows[0].error).toBeLessThan(0.2); // the members learned something
      }
      // The paper's ordering: adversarial training lowers the NLL at every M (margins >= 0.004 on
      // seeds 0, 1 and 2 of this preset). The random-sign control is not ordered against either:
      // in the paper it helps little, and here it lands above or below the plain curve by seed.
      const plain = curve('ml'),
        at = curve('at');
      at.forEach((c, k) => expect(c.nll, `M=${c.members}`).toBeLessThan(plain[k].nll));
      expect(s.headline[`at_nll_M${M}`]).toBe(at[M - 1].nll);
      checkRunFolder(out, FIGURES);
      const rows = readCsv(join(out, 'metrics.csv'));
      expect(rows.length).toBe(ENSEMBLE_SIZE_QUICK.variants.length * ENSEMBLE_SIZE_QUICK.epochs * M);
      expect(Object.keys(rows[0])).toEqual([
        'variant',
        'epoch',
        'member',
        'seed',
        'train_loss',
        'train_acc',
        'val_loss',
        'val_acc',
        'seconds',
      ]);
      expect(new Set(rows.map((r) => r.seed)).size).toBe(M);
      expect(new Set(rows.map((r) => r.variant))).toEqual(new Set(ENSEMBLE_SIZE_QUICK.variants.map((v) => v.name)));
      const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      expect(cfg).toMatchObject({
        study: 'ensemble-size',
        preset: 'quick',
        members: 5,
        batch: 100,
        hidden: 200,
        layers: 3,
        advEpsFraction: 0.01,
      });

      // The saved adversarially trained ensemble reloads through a factory and gives the reported curve again.
      const k = ENSEMBLE_SIZE_QUICK.variants.findIndex((v) => v.objective === 'at');
      const { ensemble: ens } = loadEnsemble(join(out, `variant-${k}-ensemble.safetensors`), () =>
        ensemble.deepEnsembleMlp(new RandomGenerator(0)),
      );
      // Same limits as the run: the normalisation statistics come from its training split.
      const mnist = loadMnist({ testLimit: ENSEMBLE_SIZE_QUICK.testLimit, trainLimit: ENSEMBLE_SIZE_QUICK.trainLimit, device: 'cpu' });
      const probs = ens.memberProba(mnist.test.x);
      const again = sizeCurve('ensemble + AT', probs, [M, mnist.test.n, 10], mnist.test.labels);
      again.forEach((c, m) => {
        expect(c.error).toBeCloseTo(at[m].error, 9);
        expect(c.nll).toBeCloseTo(at[m].nll, 5);
        expect(c.brier).toBeCloseTo(at[m].brier, 5);
      });
      // The mean of the members' softmax is the ensemble's own predictive distribution.
      const pred = ens.predictProba(mnist.test.x);
      expect(metrics.nll(pred, mnist.test.labels)).toBeCloseTo(again[M - 1].nll, 5);
      mnist.dispose();
      await checkReportInBrowser(
        out,
        FIGURES.map((f) => `${f}.svg`),
      );
    },
  );

  it('rejects an unknown objective with a typed error', async () => {
    const { run } = await import('../../lib/studies/ensemble-size.js');
    await expect(
      run({ ...ENSEMBLE_SIZE_QUICK, out: tmp('ensemble-size-bad'), variants: [{ name: 'x', objective: 'nope' }] }),
    ).rejects.toThrow(/unknown objective 'nope'/);
    await expect(run({ ...ENSEMBLE_SIZE_QUICK, out: tmp('ensemble-size-bad'), advEpsFraction: -1 })).rejects.toThrow(
      /advEpsFraction must be a finite number >= 0/,
    );
  });
});
