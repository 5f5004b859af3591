// Study `rotation` (seed 000, experiment 5): 20 fixed test images rotated 0..180 degrees in steps
// of 10 (nnlab's native bilinear rotation, counter-clockwise, the uncovered corners filled with
// the background), the probability of the true class against the angle for single members (the
// report's models 2 and 5), for every member on average, and for the ensemble (mean of the
// members' softmax); one image's predictions at each angle; and accuracy / NLL of the single
// model and the ensemble on the whole test set against the angle.
import { join } from 'node:path';

import { ArgumentError } from '../core/errors.js';
import { data, io, ops, tidy } from '../index.js';
import type { Tensor } from '../index.js';
import { imageGrid } from '../viz/image-grid.js';
import { linePlot, Series } from '../viz/line-plot.js';
import type { RunHooks } from './shared/common.js';
import {
  caption,
  displayPixels,
  ensembleRows,
  memberProbs,
  memberRows,
  predictionOf,
  Scores,
  scoresOf,
  singleVsEnsembleTable,
} from './shared/seed000-eval.js';
import { Seed000Config, SEED000_RUN_FULL, SEED000_RUN_QUICK, startSeed000 } from './shared/seed000-run.js';
import type { StudySummary } from '../report/run-folder.js';

export interface RotationConfig extends Seed000Config {
  /** Angles (degrees) of the grid images. */
  angles: number[];
  /** Angles at which the whole test set is evaluated (each costs M passes over it). */
  testAngles: number[];
  /** Members (indices into the seeds) whose curves are drawn one figure each (the report: 2 and 5). */
  plotMembers: number[];
  /** How many of the grid images get a curve in the per-model figures. */
  curveImages: number;
  /** The image of the per-angle figure: the first grid image of this class (the report: a 3). */
  exampleClass: number;
}

const ANGLES = Array.from({ length: 19 }, (_, i) => 10 * i);

export const ROTATION_FULL: RotationConfig = {
  ...SEED000_RUN_FULL,
  angles: ANGLES,
  testAngles: [0, 15, 30, 45, 60, 90, 180],
  plotMembers: [2, 5],
  curveImages: 6,
  exampleClass: 3,
};
export const ROTATION_QUICK: RotationConfig = {
  ...SEED000_RUN_QUICK,
  angles: ANGLES,
  testAngles: [0, 90, 180],
  plotMembers: [2],
  curveImages: 4,
  exampleClass: 3,
};

export interface AngleScores {
  angle: number;
  single: Scores;
  ensemble: Scores;
}

const pct = (v: number) => +(100 * v).toFixed(2);

/** A rotation of normalised images: the corners take the value a black pixel has after normalisation. */
export function rotateNormalised(x: Tensor, degrees: number | Float32Array, stats: data.NormStats): Tensor {
  return data.rotate(x, degrees, -stats.mean / stats.std);
}

export async function run(cfg: RotationConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  for (const [name, list] of [
    ['angles', cfg.angles],
    ['testAngles', cfg.testAngles],
  ] as const) {
    if (list.length === 0) throw new ArgumentError(`rotation: ${name} must not be empty`);
    for (const a of list) if (!Number.isFinite(a)) throw new ArgumentError(`rotation: ${name} must be finite numbers, got ${a}`);
  }
  if (!(Number.isInteger(cfg.curveImages) && cfg.curveImages > 0))
    throw new ArgumentError(`rotation: curveImages must be a positive integer, got ${cfg.curveImages}`);
  const r = await startSeed000('rotation', cfg, hooks, {
    rotation:
      'nnlab data.rotate (bilinear, counter-clockwise) of the normalised 32x32 images; the uncovered corners = a black pixel after normalisation',
  });
  const { folder, data: d, log } = r;
  try {
    const M = r.members.length,
      models = r.members.map((m) => m.model),
      single = r.members[r.single];
    const S = r.shown.length,
      A = cfg.angles.length,
      labels = d.test.labels;
    const shownLabels = Array.from(r.shown, (i) => labels[i]);

    // The grid images at every angle, one batch: row a * S + s is image s rotated by angles[a].
    const rotated = tidy(() => {
      const base = data.subset({ x: d.test.x, y: d.test.y }, r.shown);
      const x = ops.concat(
        cfg.angles.map(() => base.x),
        0,
      );
      const perRow = Float32Array.from({ length: A * S }, (_, k) => cfg.angles[Math.floor(k / S)]);
      return rotateNormalised(x, perRow, d.stats).keep();
    });
    let truth: number[][][]; // [member | M = ensemble][image][angle] -> probability of the true class
    let ensProbs: Float32Array, singleProbs: Float32Array, K: number;
    try {
      const all = memberProbs(models, rotated, { batch: cfg.evalBatch });
      K = all.classes;
      ensProbs = ensembleRows(all.probs, M, A * S, K);
      singleProbs = memberRows(all.probs, r.single, A * S, K);
      const rows = [...r.members.map((_, j) => memberRows(all.probs, j, A * S, K)), ensProbs];
      truth = rows.map((p) => shownLabels.map((y, s) => cfg.angles.map((_, a) => p[(a * S + s) * K + y])));

      // One image at every angle (the report's Figure 12).
      const ex = Math.max(0, shownLabels.indexOf(cfg.exampleClass));
      const exRows = cfg.angles.map((_, a) => a * S + ex);
      const px = displayPixels(rotated, exRows, d.stats);
      folder.figure(
        'example_rotations',
        'One image at every angle',
        imageGrid(
          exRows.map((row, a) => ({
            pixels: px[a],
            caption: [`${cfg.angles[a]} deg`, caption('S', singleProbs, row, K), caption('E', ensProbs, row, K)],
            flagged: predictionOf(ensProbs, row, K).pred !== shownLabels[ex],
          })),
          { h: d.size, w: d.size, columns: 10, scale: 2, title: `Test image #${r.shown[ex]} (true class ${shownLabels[ex]}) rotated` },
        ),
        `S: single model (member seed ${single.seed}); E: ${M}-member ensemble. Red: the ensemble is wrong`,
      );
    } finally {
      rotated.dispose();
    }
    const shownPx = displayPixels(d.test.x, r.shown, d.stats);
    folder.figure(
      'shown_images',
      `The ${S} test images`,
      imageGrid(
        Array.from(r.shown, (i, s) => ({ pixels: shownPx[s], caption: [`#${i} y ${labels[i]}`] })),
        { h: d.size, w: d.size, columns: 10, scale: 2, title: `The ${S} test images of the rotation curves (drawn with seed ${cfg.seed})` },
      ),
    );

    const curveIdx = Array.from({ length: Math.min(cfg.curveImages, S) }, (_, s) => s);
    const curves = (which: number, title: string) =>
      linePlot(
        curveIdx.map((s) => ({
          name: `#${r.shown[s]} (y=${shownLabels[s]})`,
          x: cfg.angles,
          y: truth[which][s],
        })),
        { title, xLabel: 'rotation (degrees)', yLabel: 'probability of the true class', yDomain: [0, 1], legendAt: 'top' },
      );
    const plotted = cfg.plotMembers.filter((j) => j >= 0 && j < M);
    for (const j of plotted)
      folder.figure(
        `true_prob_member_${j}`,
        `Member ${j} (seed ${r.members[j].seed})`,
        curves(j, `Member ${j} (seed ${r.members[j].seed}): true-class probability vs angle`),
      );
    folder.figure(
      'true_prob_ensemble',
      `Ensemble of ${M}`,
      curves(M, `Ensemble of ${M} (mean of the softmax): true-class probability vs angle`),
    );
    const meanOver = (m: number) => cfg.angles.map((_, a) => truth[m].reduce((acc, img) => acc + img[a], 0) / S);
    folder.figure(
      'true_prob_mean',
      'Every member and the ensemble, mean over the images',
      linePlot(
        [
          ...r.members.map((m, j): Series => ({ name: `member ${j} (seed ${m.seed})`, x: cfg.angles, y: meanOver(j) })),
          { name: `ensemble of ${M}`, x: cfg.angles, y: meanOver(M) },
        ],
        {
          title: `True-class probability vs angle, mean over the ${S} images`,
          xLabel: 'rotation (degrees)',
          yLabel: 'mean probability of the true class',
          yDomain: [0, 1],
          legendAt: 'top',
        },
      ),
      "the members' curves nearly coincide: the sensitivity to rotation is not a matter of initialisation",
    );

    // The whole test set at the test angles.
    const whole: AngleScores[] = [];
    for (const angle of cfg.testAngles) {
      const all = memberProbs(models, d.test.x, {
        batch: cfg.evalBatch,
        transform: (xb) => (angle === 0 ? xb : rotateNormalised(xb, angle, d.stats)),
      });
      const s: AngleScores = {
        angle,
        single: scoresOf(memberRows(all.probs, r.single, d.test.n, all.classes), labels),
        ensemble: scoresOf(ensembleRows(all.probs, M, d.test.n, all.classes), labels),
      };
      whole.push(s);
      log(`rotation ${angle} deg: single ${pct(s.single.accuracy)}%, ensemble ${pct(s.ensemble.accuracy)}% (whole test set)`);
    }
    const ta = whole.map((w) => w.angle);
    folder.figure(
      'test_accuracy_vs_angle',
      'Whole-test-set accuracy vs angle',
      linePlot(
        [
          { name: `single (seed ${single.seed})`, x: ta, y: whole.map((w) => w.single.accuracy) },
          { name: `ensemble of ${M}`, x: ta, y: whole.map((w) => w.ensemble.accuracy) },
          { name: 'ensemble mean confidence', x: ta, y: whole.map((w) => w.ensemble.mean_confidence) },
        ],
        {
          title: `Accuracy on the whole test set (${d.test.n} images) vs rotation`,
          xLabel: 'rotation (degrees)',
          yLabel: 'accuracy / confidence',
          yDomain: [0, 1],
          legendAt: 'top',
        },
      ),
    );
    folder.figure(
      'test_nll_vs_angle',
      'Whole-test-set NLL vs angle',
      linePlot(
        [
          { name: 'single', x: ta, y: whole.map((w) => w.single.nll) },
          { name: `ensemble of ${M}`, x: ta, y: whole.map((w) => w.ensemble.nll) },
        ],
        { title: 'NLL on the whole test set vs rotation', xLabel: 'rotation (degrees)', yLabel: 'NLL (nats)', legendAt: 'top' },
      ),
    );
    folder.table('whole_test_set', {
      title: `Single (member seed ${single.seed}) vs ${M}-member ensemble on the whole test set (${d.test.n} images)`,
      ...singleVsEnsembleTable(
        'angle',
        whole.map((w) => ({ at: w.angle, single: w.single, ensemble: w.ensemble })),
        ['accuracy', 'nll', 'mean_confidence', 'ece'],
      ),
    });
    io.writeCsv(
      join(folder.dir, 'true_class_prob.csv'),
      ['model', 'test_index', 'label', ...cfg.angles.map((a) => `deg_${a}`)],
      truth.flatMap((t, m) =>
        t.map((row, s) => [m === M ? 'ensemble' : `member-${r.members[m].seed}`, r.shown[s], shownLabels[s], ...row]),
      ),
    );

    const headline: Record<string, number | string> = { members: M, single_member_seed: single.seed, test_images: d.test.n };
    for (const w of whole) {
      headline[`single_accuracy_${w.angle}deg`] = w.single.accuracy;
      headline[`ensemble_accuracy_${w.angle}deg`] = w.ensemble.accuracy;
    }
    for (const a of [0, 30, 60, 90, 180].filter((v) => cfg.angles.includes(v)))
      headline[`ensemble_mean_true_prob_${a}deg`] = meanOver(M)[cfg.angles.indexOf(a)];
    return folder.finish(headline, {
      whole_test_set: whole,
      true_class_probability: { angles: cfg.angles, shown: Array.from(r.shown), labels: shownLabels, by_model: truth },
    });
  } finally {
    r.dispose();
  }
}
