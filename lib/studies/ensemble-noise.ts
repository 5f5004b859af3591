// Study `ensemble-noise` (seed 000, experiment 3): the M-member deep ensemble (mean of the
// members' softmax) against the single best member (lowest validation loss) under additive
// Gaussian noise sigma in {0, 0.2, 0.3, 0.4, 0.5} added AFTER normalisation (the report's
// protocol). Accuracy, NLL, Brier and ECE on the whole test set, per-member numbers, the 20-image
// grids annotated y / S / E per level, and plots against sigma. Every model sees the same noisy
// images (one draw, scaled per level).
import { join } from 'node:path';

import { io, tidy } from '../index.js';
import { imageGrid } from '../viz/image-grid.js';
import { linePlot, Series } from '../viz/line-plot.js';
import type { RunHooks } from './shared/common.js';
import { checkSigmas, sigmaName } from './noise.js';
import {
  accuracyOn,
  caption,
  displayPixels,
  ensembleRows,
  memberProbs,
  memberRows,
  noiseDraw,
  noiseTransform,
  predictionOf,
  Scores,
  scoresOf,
  singleVsEnsembleTable,
  withNoise,
} from './shared/seed000-eval.js';
import { Seed000Config, SEED000_RUN_FULL, SEED000_RUN_QUICK, startSeed000 } from './shared/seed000-run.js';
import type { GivenMember } from './shared/seed000-run.js';
import type { StudySummary } from '../report/run-folder.js';

export interface EnsembleNoiseConfig extends Seed000Config {
  /** Noise levels, in normalised units (added after normalisation). */
  sigmas: number[];
}

export const ENSEMBLE_NOISE_FULL: EnsembleNoiseConfig = { ...SEED000_RUN_FULL, sigmas: [0, 0.2, 0.3, 0.4, 0.5] };
export const ENSEMBLE_NOISE_QUICK: EnsembleNoiseConfig = { ...SEED000_RUN_QUICK, sigmas: [0, 0.3, 0.5] };

export interface EnsembleNoiseLevel {
  sigma: number;
  single: Scores & { shown_accuracy: number };
  ensemble: Scores & { shown_accuracy: number };
  /** Each member's scores, in the order of the seeds. */
  members: Scores[];
}

const pct = (v: number) => +(100 * v).toFixed(2);
const METRICS = ['accuracy', 'nll', 'brier', 'ece'] as const;
const LABELS: Record<(typeof METRICS)[number], string> = {
  accuracy: 'accuracy',
  nll: 'NLL (nats)',
  brier: 'Brier score',
  ece: 'ECE (15 bins)',
};

export async function run(cfg: EnsembleNoiseConfig, hooks: RunHooks = {}, given?: GivenMember[]): Promise<StudySummary> {
  checkSigmas(cfg.sigmas, 'ensemble-noise');
  const r = await startSeed000(
    'ensemble-noise',
    cfg,
    hooks,
    { noise: 'x_normalised + sigma * N(0, 1), one draw for every level; the same noisy images for every model' },
    given,
  );
  const { folder, data: d, log } = r;
  const z = noiseDraw(d.test.x, cfg.seed + 1);
  try {
    const labels = d.test.labels,
      M = r.members.length,
      n = d.test.n;
    const single = r.members[r.single];
    const models = r.members.map((m) => m.model);
    const levels: EnsembleNoiseLevel[] = [];
    const gridFigures: string[] = [];
    for (const sigma of cfg.sigmas) {
      const { probs, classes } = memberProbs(models, d.test.x, { batch: cfg.evalBatch, transform: noiseTransform(z, sigma) });
      const sp = memberRows(probs, r.single, n, classes),
        ep = ensembleRows(probs, M, n, classes);
      const lv: EnsembleNoiseLevel = {
        sigma,
        single: { ...scoresOf(sp, labels), shown_accuracy: accuracyOn(sp, labels, r.shown, classes) },
        ensemble: { ...scoresOf(ep, labels), shown_accuracy: accuracyOn(ep, labels, r.shown, classes) },
        members: r.members.map((_, j) => scoresOf(memberRows(probs, j, n, classes), labels)),
      };
      levels.push(lv);
      log(
        `sigma ${sigma}: single ${pct(lv.single.accuracy)}% NLL ${lv.single.nll.toFixed(4)}; ensemble ${pct(lv.ensemble.accuracy)}% NLL ${lv.ensemble.nll.toFixed(4)}`,
      );
      const noisy = tidy(() => withNoise(d.test.x, z, sigma).keep());
      try {
        const pixels = displayPixels(noisy, r.shown, d.stats);
        const name = `grid_sigma_${sigmaName(sigma)}`;
        gridFigures.push(name);
        folder.figure(
          name,
          `Grid at sigma ${sigma}`,
          imageGrid(
            Array.from(r.shown, (i, t) => ({
              pixels: pixels[t],
              caption: [`#${i} y ${labels[i]}`, caption('S', sp, i, classes), caption('E', ep, i, classes)],
              flagged: predictionOf(sp, i, classes).pred !== labels[i] || predictionOf(ep, i, classes).pred !== labels[i],
            })),
            {
              h: d.size,
              w: d.size,
              columns: 10,
              scale: 2,
              title: `MNIST (${r.shown.length} images), noise sigma = ${sigma} after normalisation`,
            },
          ),
          `y: true label; S: single model (member seed ${single.seed}) prediction and probability; E: ${M}-member ensemble. Red: S or E wrong`,
        );
      } finally {
        if (noisy !== d.test.x) noisy.dispose();
      }
    }

    io.writeCsv(
      join(folder.dir, 'sweep.csv'),
      ['sigma', 'model', ...METRICS, 'mean_confidence', 'shown_accuracy'],
      levels.flatMap((l) => [
        [l.sigma, 'single', ...METRICS.map((k) => l.single[k]), l.single.mean_confidence, l.single.shown_accuracy],
        [l.sigma, 'ensemble', ...METRICS.map((k) => l.ensemble[k]), l.ensemble.mean_confidence, l.ensemble.shown_accuracy],
        ...l.members.map((s, j) => [l.sigma, `member-${r.members[j].seed}`, ...METRICS.map((k) => s[k]), s.mean_confidence, '']),
      ]),
    );
    const x = levels.map((l) => l.sigma);
    for (const k of METRICS) {
      const series: Series[] = [
        { name: `single (seed ${single.seed})`, x, y: levels.map((l) => l.single[k]) },
        { name: `ensemble of ${M}`, x, y: levels.map((l) => l.ensemble[k]) },
        { name: 'mean of the members', x, y: levels.map((l) => l.members.reduce((s, m) => s + m[k], 0) / M) },
      ];
      folder.figure(
        `${k}_vs_sigma`,
        `${LABELS[k]} vs sigma`,
        linePlot(series, {
          title: `${LABELS[k][0].toUpperCase()}${LABELS[k].slice(1)} on the whole test set (${n} images) vs noise`,
          xLabel: 'sigma (after normalisation)',
          yLabel: LABELS[k],
          legendAt: k === 'accuracy' ? 'bottom' : 'top',
          ...(k === 'accuracy' && { yDomain: [0, 1] as [number, number] }),
        }),
      );
    }
    folder.figure(
      'shown_accuracy_vs_sigma',
      `Accuracy on the ${r.shown.length} grid images`,
      linePlot(
        [
          { name: 'single', x, y: levels.map((l) => l.single.shown_accuracy) },
          { name: `ensemble of ${M}`, x, y: levels.map((l) => l.ensemble.shown_accuracy) },
        ],
        {
          title: `Accuracy on the ${r.shown.length} grid images (the report's Figure 9)`,
          xLabel: 'sigma',
          yLabel: 'accuracy',
          yDomain: [0, 1],
          legendAt: 'bottom',
        },
      ),
      `${r.shown.length} images: one image is ${(100 / r.shown.length).toFixed(0)} points; the whole-test-set plots are the measurement`,
    );
    folder.table('results', {
      title: `Single (member seed ${single.seed}) vs ${M}-member ensemble, whole test set (${n} images)`,
      ...singleVsEnsembleTable(
        'sigma',
        levels.map((l) => ({ at: l.sigma, single: l.single, ensemble: l.ensemble })),
        ['accuracy', 'nll', 'brier', 'ece'],
      ),
    });
    folder.table('members', {
      title: 'Each member: test accuracy % per sigma',
      columns: ['member seed', 'val loss', ...levels.map((l) => `sigma ${l.sigma}`)],
      rows: r.members.map((m, j) => [m.seed, +m.meta.val.loss.toFixed(4), ...levels.map((l) => pct(l.members[j].accuracy))]),
    });

    const headline: Record<string, number | string> = { members: M, single_member_seed: single.seed, test_images: n };
    for (const l of levels) {
      headline[`single_accuracy_sigma_${l.sigma}`] = l.single.accuracy;
      headline[`ensemble_accuracy_sigma_${l.sigma}`] = l.ensemble.accuracy;
      headline[`single_nll_sigma_${l.sigma}`] = l.single.nll;
      headline[`ensemble_nll_sigma_${l.sigma}`] = l.ensemble.nll;
    }
    // The acceptance line: the ensemble beats the single model in accuracy AND NLL at 0.4 and 0.5.
    for (const l of levels.filter((v) => v.sigma >= 0.4))
      headline[`ensemble_beats_single_sigma_${l.sigma}`] =
        l.ensemble.accuracy > l.single.accuracy && l.ensemble.nll < l.single.nll ? 'yes' : 'no';
    return folder.finish(headline, { levels, grids: gridFigures, member_seeds: r.members.map((m) => m.seed) });
  } finally {
    z.dispose();
    r.dispose();
  }
}
