// Study `noise` (seed 000, experiment 2): the single seed-000 ResNet18 (the ensemble member with
// the lowest validation loss) under additive Gaussian noise of level 0.1 .. 0.5, on a fixed set of
// 20 test images (one grid per level: prediction and confidence) and on the whole test set
// (accuracy, mean confidence, NLL, Brier, ECE per level). The report adds the noise "directly to
// the pixels": by default sigma is in pixel units ([0, 1] images, before normalisation, not
// clipped), i.e. sigma / std after normalisation; `space: 'normalized'` adds it after.
import { join } from 'node:path';

import { ArgumentError } from '../core/errors.js';
import { io, tidy } from '../index.js';
import { imageGrid } from '../viz/image-grid.js';
import { linePlot } from '../viz/line-plot.js';
import type { RunHooks } from './shared/common.js';
import {
  accuracyOn,
  caption,
  displayPixels,
  memberProbs,
  noiseDraw,
  noiseTransform,
  predictionOf,
  Scores,
  scoresOf,
  withNoise,
} from './shared/seed000-eval.js';
import { Seed000Config, SEED000_RUN_FULL, SEED000_RUN_QUICK, startSeed000 } from './shared/seed000-run.js';
import type { StudySummary } from '../report/run-folder.js';

export type NoiseSpace = 'pixel' | 'normalized';

export interface NoiseConfig extends Seed000Config {
  /** Noise levels (standard deviations); 0 is the clean reference. */
  sigmas: number[];
  space: NoiseSpace;
}

export const NOISE_FULL: NoiseConfig = { ...SEED000_RUN_FULL, sigmas: [0, 0.1, 0.2, 0.3, 0.4, 0.5], space: 'pixel' };
export const NOISE_QUICK: NoiseConfig = { ...SEED000_RUN_QUICK, sigmas: [0, 0.1, 0.3, 0.5], space: 'pixel' };

export interface NoiseLevel extends Scores {
  sigma: number;
  /** Accuracy on the grid images. */
  shown_accuracy: number;
}

const pct = (v: number) => +(100 * v).toFixed(2);
/** Figure names without dots: grid_sigma_0p3. */
export const sigmaName = (s: number) => String(s).replace('.', 'p');

export function checkSigmas(sigmas: number[], study: string): void {
  if (sigmas.length === 0) throw new ArgumentError(`${study}: needs at least one noise level`);
  for (const s of sigmas)
    if (!(Number.isFinite(s) && s >= 0)) throw new ArgumentError(`${study}: noise levels must be finite and >= 0, got ${s}`);
}

export async function run(cfg: NoiseConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  checkSigmas(cfg.sigmas, 'noise');
  if (cfg.space !== 'pixel' && cfg.space !== 'normalized')
    throw new ArgumentError(`noise: space must be 'pixel' or 'normalized', got '${cfg.space}'`);
  const r = await startSeed000('noise', cfg, hooks, {
    noise: `x + sigma * N(0, 1) ${cfg.space === 'pixel' ? 'in pixel units ([0, 1] images, before normalisation; not clipped)' : 'after normalisation'}; one draw for every level`,
  });
  const { folder, data: d, log } = r;
  const z = noiseDraw(d.test.x, cfg.seed + 1);
  try {
    const single = r.members[r.single];
    const labels = d.test.labels;
    const scale = cfg.space === 'pixel' ? 1 / d.stats.std : 1;
    const levels: NoiseLevel[] = [];
    for (const sigma of cfg.sigmas) {
      const { probs, classes } = memberProbs([single.model], d.test.x, {
        batch: cfg.evalBatch,
        transform: noiseTransform(z, sigma * scale),
      });
      const s: NoiseLevel = { sigma, ...scoresOf(probs, labels), shown_accuracy: accuracyOn(probs, labels, r.shown, classes) };
      levels.push(s);
      log(
        `sigma ${sigma}: accuracy ${pct(s.accuracy)}%, mean confidence ${s.mean_confidence.toFixed(3)}, NLL ${s.nll.toFixed(4)} (grid images ${pct(s.shown_accuracy)}%)`,
      );
      // The grid: the fixed images as the model saw them.
      const noisy = tidy(() => withNoise(d.test.x, z, sigma * scale).keep());
      try {
        const pixels = displayPixels(noisy, r.shown, d.stats);
        folder.figure(
          `grid_sigma_${sigmaName(sigma)}`,
          `Grid at sigma ${sigma}`,
          imageGrid(
            Array.from(r.shown, (i, t) => ({
              pixels: pixels[t],
              caption: [`#${i} y ${labels[i]}`, caption('p', probs, i, classes)],
              flagged: predictionOf(probs, i, classes).pred !== labels[i],
            })),
            {
              h: d.size,
              w: d.size,
              columns: 10,
              scale: 2,
              title: `Gaussian noise sigma = ${sigma} (${cfg.space === 'pixel' ? 'pixel units' : 'after normalisation'}): prediction and confidence`,
            },
          ),
          'red: wrong prediction',
        );
      } finally {
        if (noisy !== d.test.x) noisy.dispose();
      }
    }

    io.writeCsv(
      join(folder.dir, 'sweep.csv'),
      ['sigma', 'accuracy', 'mean_confidence', 'nll', 'brier', 'ece', 'shown_accuracy'],
      levels.map((l) => [l.sigma, l.accuracy, l.mean_confidence, l.nll, l.brier, l.ece, l.shown_accuracy]),
    );
    const x = levels.map((l) => l.sigma);
    folder.figure(
      'accuracy_vs_sigma',
      'Accuracy and confidence vs noise',
      linePlot(
        [
          { name: 'accuracy (whole test set)', x, y: levels.map((l) => l.accuracy) },
          { name: 'mean confidence (whole test set)', x, y: levels.map((l) => l.mean_confidence) },
          { name: `accuracy (${r.shown.length} grid images)`, x, y: levels.map((l) => l.shown_accuracy) },
        ],
        {
          title: `ResNet18 (member seed ${single.seed}) under Gaussian noise`,
          xLabel: `sigma (${cfg.space === 'pixel' ? 'pixel units' : 'normalised units'})`,
          yLabel: 'accuracy / confidence',
          yDomain: [0, 1],
          legendAt: 'bottom',
        },
      ),
      `whole test set: ${d.test.n} images; a confidence above the accuracy is over-confidence`,
    );
    folder.figure(
      'nll_vs_sigma',
      'NLL vs noise',
      linePlot(
        [
          { name: 'NLL (whole test set)', x, y: levels.map((l) => l.nll) },
          { name: 'Brier (whole test set)', x, y: levels.map((l) => l.brier) },
        ],
        { title: 'Proper scoring rules under Gaussian noise', xLabel: 'sigma', yLabel: 'NLL (nats) / Brier', legendAt: 'top' },
      ),
    );
    folder.table('results', {
      title: `Single model (member seed ${single.seed}) on the whole test set (${d.test.n} images)`,
      columns: ['sigma', 'accuracy %', 'mean confidence', 'NLL', 'Brier', 'ECE', `grid accuracy % (${r.shown.length})`],
      rows: levels.map((l) => [
        l.sigma,
        pct(l.accuracy),
        +l.mean_confidence.toFixed(4),
        +l.nll.toFixed(4),
        +l.brier.toFixed(4),
        +l.ece.toFixed(4),
        pct(l.shown_accuracy),
      ]),
    });

    const headline: Record<string, number | string> = { single_member_seed: single.seed, test_images: d.test.n, noise_space: cfg.space };
    for (const l of levels) {
      headline[`accuracy_sigma_${l.sigma}`] = l.accuracy;
      headline[`mean_confidence_sigma_${l.sigma}`] = l.mean_confidence;
      headline[`nll_sigma_${l.sigma}`] = l.nll;
    }
    return folder.finish(headline, { levels, members: r.members.map((m) => ({ seed: m.seed, test: m.meta.test, val: m.meta.val })) });
  } finally {
    z.dispose();
    r.dispose();
  }
}
