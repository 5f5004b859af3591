// Study `ensemble-size` (seed 000's paper, Lakshminarayanan et al. 2017, figure 2a): how error,
// NLL and Brier score of a deep ensemble on the MNIST test set change with the number of
// members M = 1..10. The members are the paper's MLP (3 x 200 ReLU units with batch norm),
// trained batched (lib/ensemble: one stacked pass per step, each member with its own seed,
// initialisation and shuffle order), batch 100, Adam. The ensemble of size M is the first M
// members; its predictive distribution is the mean of their softmax outputs.
//
// Training variants share members' seeds and differ by their objective, looked up by name in
// ENSEMBLE_OBJECTIVES: 'ml' (plain cross-entropy), 'at' (the paper's adversarial training,
// J(x, y) + J(x', y) with x' the FGSM image at eps = 1% of the input range) and 'random-sign'
// (the paper's "+ R" control: the same loss with x' = x + eps * random sign).
import { join } from 'node:path';

import { ensembleAdversarialObjective } from '../attacks/ensemble-objective.js';
import { Ensemble, RandomGenerator, io, metrics, saveEnsemble } from '../index.js';
import type { Module } from '../nn/module.js';
import { ArgumentError } from '../core/errors.js';
import { deepEnsembleMlp } from '../ensemble/paper-mlp.js';
import { fitBatched, MEMBER_METRIC_COLUMNS } from '../train/fit-batched.js';
import { standardObjective } from '../ensemble/objective.js';
import type { MemberEpochMetrics } from '../train/fit-batched.js';
import type { Objective } from '../ensemble/objective.js';
import { linePlot } from '../viz/line-plot.js';
import { BaseConfig, FULL_PRESET, RunHooks, startRun } from './shared/common.js';
import type { StudySummary } from '../report/run-folder.js';

export interface EnsembleVariant {
  /** Legend name, e.g. 'ensemble' or 'ensemble + AT'. */
  name: string;
  /** Key into ENSEMBLE_OBJECTIVES. */
  objective: string;
}

export interface EnsembleSizeConfig extends BaseConfig {
  /** The largest ensemble; sizes 1..members are evaluated. */
  members: number;
  epochs: number;
  batch: number;
  lr: number;
  hidden: number;
  layers: number;
  variants: EnsembleVariant[];
  /** eps of 'at' and 'random-sign' as a fraction of the input range (the paper: 0.01). */
  advEpsFraction: number;
}

/** What an objective factory may depend on: the run's config and the inputs' value range. */
export interface ObjectiveSetting {
  config: EnsembleSizeConfig;
  /** max - min of the normalised training inputs (the paper's eps is 1% of it). */
  inputRange: number;
  /** [min, max] of the normalised inputs (pixels 0 and 1): perturbed inputs are clipped to it. */
  range: readonly [number, number];
}

/** Seed of the random signs of the 'random-sign' objective (its own stream, apart from the members'). */
export const randomSignSeed = (seed: number) => seed * 1000 + 999;

/** Training objectives by name; other studies register theirs (e.g. adversarial training). */
export const ENSEMBLE_OBJECTIVES: Record<string, (s: ObjectiveSetting) => Objective> = {
  ml: () => standardObjective,
  at: (s) => ensembleAdversarialObjective({ eps: s.config.advEpsFraction * s.inputRange, perturbation: 'fgsm', range: s.range }),
  'random-sign': (s) =>
    ensembleAdversarialObjective({
      eps: s.config.advEpsFraction * s.inputRange,
      perturbation: 'random-sign',
      range: s.range,
      generator: new RandomGenerator(randomSignSeed(s.config.seed)),
    }),
};

/** The paper's three curves (Lakshminarayanan et al. 2017, figure 2: Ensemble, Ensemble + R, Ensemble + AT). */
export const ENSEMBLE_SIZE_VARIANTS: EnsembleVariant[] = [
  { name: 'ensemble', objective: 'ml' },
  { name: 'ensemble + R (random sign)', objective: 'random-sign' },
  { name: 'ensemble + AT', objective: 'at' },
];

export const ENSEMBLE_SIZE_FULL: EnsembleSizeConfig = {
  // The paper gives batch 100 and Adam; 20 epochs and lr 1e-3 are this study's choices (see config.json).
  ...FULL_PRESET,
  members: 10,
  epochs: 20,
  batch: 100,
  lr: 1e-3,
  hidden: 200,
  layers: 3,
  variants: ENSEMBLE_SIZE_VARIANTS,
  advEpsFraction: 0.01,
};

// Quick: 1000 training images for 10 epochs rather than 5000 for 2: members that fit their
// small training set (as the paper's do theirs), where adversarial training's effect on NLL is
// clear of the seed-to-seed noise; on 5000 images for 2 epochs the AT and plain curves cross.
export const ENSEMBLE_SIZE_QUICK: EnsembleSizeConfig = {
  ...ENSEMBLE_SIZE_FULL,
  preset: 'quick',
  members: 5,
  epochs: 10,
  trainLimit: 1000,
  testLimit: 2000,
};

export interface SizeRow {
  variant: string;
  members: number;
  error: number;
  nll: number;
  brier: number;
  ece: number;
}

/** Seed of member m: its initialisation and its shuffle order (shared by every variant). */
export const memberSeed = (seed: number, m: number) => seed * 1000 + m + 1;

/** Error, NLL, Brier and ECE of the first-k-members ensemble for k = 1..M, from member probabilities [M, N, C]. */
export function sizeCurve(variant: string, probs: Float32Array, shape: [number, number, number], labels: ArrayLike<number>): SizeRow[] {
  return Array.from({ length: shape[0] }, (_, k) => {
    const p = metrics.memberMean(probs, shape, k + 1);
    return {
      variant,
      members: k + 1,
      error: metrics.errorRate(p, labels),
      nll: metrics.nll(p, labels),
      brier: metrics.brierScore(p, labels),
      ece: metrics.expectedCalibrationError(p, labels).ece,
    };
  });
}

function checkConfig(c: EnsembleSizeConfig): void {
  for (const k of ['members', 'epochs', 'batch', 'hidden', 'layers'] as const)
    if (!(Number.isInteger(c[k]) && c[k] > 0)) throw new ArgumentError(`ensemble-size: ${k} must be a positive integer, got ${c[k]}`);
  if (!(c.lr > 0)) throw new ArgumentError(`ensemble-size: lr must be > 0, got ${c.lr}`);
  if (c.variants.length === 0) throw new ArgumentError('ensemble-size: needs at least one training variant');
  if (!(Number.isFinite(c.advEpsFraction) && c.advEpsFraction >= 0))
    throw new ArgumentError(`ensemble-size: advEpsFraction must be a finite number >= 0, got ${c.advEpsFraction}`);
  if (new Set(c.variants.map((v) => v.objective)).size !== c.variants.length)
    throw new ArgumentError(
      `ensemble-size: each objective may appear once among the variants (headline keys use it), got [${c.variants.map((v) => v.objective).join(', ')}]`,
    );
  for (const v of c.variants)
    if (!ENSEMBLE_OBJECTIVES[v.objective])
      throw new ArgumentError(`ensemble-size: unknown objective '${v.objective}' (known: ${Object.keys(ENSEMBLE_OBJECTIVES).join(', ')})`);
}

export async function run(cfg: EnsembleSizeConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  checkConfig(cfg);
  const { folder, device, mnist, log } = startRun('ensemble-size', cfg, hooks, {
    model: `MLP 784 -> ${cfg.layers} x [Linear(${cfg.hidden}) BatchNorm1d ReLU] -> Linear(10) (Lakshminarayanan et al. 2017, MNIST)`,
    optimizer: `Adam lr ${cfg.lr}, batch ${cfg.batch}; the paper states batch 100 and Adam, with a fixed learning rate of 0.1 as we read it; lr is this run's choice`,
    member_seeds: Array.from({ length: cfg.members }, (_, m) => memberSeed(cfg.seed, m)),
    training: 'members trained batched (one stacked pass per step), each with its own seed for initialisation and shuffle order',
    ensemble: 'ensemble of size M = the first M members; p(y|x) = mean of their softmax; metrics on the test split',
    brier_convention: "sum over classes of (p_c - onehot_c)^2, averaged over examples (the paper's convention)",
    nll: `mean of -log max(p(y|x), ${metrics.NLL_FLOOR})`,
    objectives: {
      ml: 'sum over members of their mean cross-entropy',
      at: `J(x, y) + J(x', y), x' = clip(x + eps * sign(grad_x J(x, y))) against the member's current weights (training mode), eps = ${cfg.advEpsFraction} x input range`,
      'random-sign': `J(x, y) + J(x', y), x' = clip(x + eps * random sign), the same eps (random-sign seed ${randomSignSeed(cfg.seed)})`,
    },
  });
  try {
    const labels = mnist.test.labels;
    const stats = mnist.stats;
    const inputRange = 1 / stats.std; // pixels in [0, 1], normalised by (x - mean) / std
    const range = [-stats.mean / stats.std, (1 - stats.mean) / stats.std] as const;
    const curves: SizeRow[] = [];
    const history: (MemberEpochMetrics & { variant: string })[] = [];
    for (const v of cfg.variants) {
      const members: Module[] = Array.from({ length: cfg.members }, (_, m) =>
        deepEnsembleMlp(new RandomGenerator(memberSeed(cfg.seed, m)), cfg.hidden, cfg.layers).to(device),
      );
      log(
        `variant '${v.name}' (objective ${v.objective}): training ${cfg.members} members batched, ${cfg.epochs} epochs on ${mnist.train.n} images`,
      );
      const r = await fitBatched(
        members,
        { x: mnist.train.x, y: mnist.train.y },
        {
          epochs: cfg.epochs,
          batchSize: cfg.batch,
          lr: cfg.lr,
          seeds: members.map((_, m) => memberSeed(cfg.seed, m)),
          objective: ENSEMBLE_OBJECTIVES[v.objective]({ config: cfg, inputRange, range }),
          val: { x: mnist.test.x, y: mnist.test.y },
          outDir: folder.sub(`variant-${cfg.variants.indexOf(v)}`),
          log,
        },
      );
      r.optimizer.dispose();
      history.push(...r.history.flat().map((h) => ({ ...h, variant: v.name })));
      const ens = new Ensemble(members);
      saveEnsemble(join(folder.dir, `${cfg.variants.length > 1 ? `variant-${cfg.variants.indexOf(v)}-` : ''}ensemble.safetensors`), ens, {
        architecture: `deep-ensemble-mlp ${cfg.hidden}x${cfg.layers}`,
        variant: v.name,
      });
      const probs = ens.memberProba(mnist.test.x);
      ens.dispose();
      const rows = sizeCurve(v.name, probs, [cfg.members, mnist.test.n, 10], labels);
      curves.push(...rows);
      log(
        `variant '${v.name}': M=1 error ${(100 * rows[0].error).toFixed(2)}% NLL ${rows[0].nll.toFixed(4)} Brier ${rows[0].brier.toFixed(4)}; ` +
          `M=${cfg.members} error ${(100 * rows[rows.length - 1].error).toFixed(2)}% NLL ${rows[rows.length - 1].nll.toFixed(4)} Brier ${rows[rows.length - 1].brier.toFixed(4)}`,
      );
    }
    io.writeCsv(
      join(folder.dir, 'metrics.csv'),
      ['variant', ...MEMBER_METRIC_COLUMNS],
      history.map((h) => [h.variant, ...MEMBER_METRIC_COLUMNS.map((c) => h[c])]),
    );

    const plot = (key: 'error' | 'nll' | 'brier', yLabel: string, title: string) =>
      linePlot(
        cfg.variants.map((v) => {
          const rows = curves.filter((r) => r.variant === v.name);
          return { name: v.name, x: rows.map((r) => r.members), y: rows.map((r) => (key === 'error' ? 100 * r.error : r[key])) };
        }),
        { title, xLabel: 'number of members M', yLabel, integerX: true, legendAt: 'top' },
      );
    folder.figure('error_vs_members', 'Test error vs ensemble size', plot('error', 'test error (%)', 'Classification error vs M'));
    folder.figure('nll_vs_members', 'NLL vs ensemble size', plot('nll', 'NLL (nats)', 'Negative log-likelihood vs M'));
    folder.figure(
      'brier_vs_members',
      'Brier score vs ensemble size',
      plot('brier', 'Brier score', 'Brier score vs M'),
      'Brier = sum over classes of (p - onehot)^2, averaged over test images',
    );
    folder.table(
      'ensemble_size_table',
      {
        title: 'Ensemble of the first M members',
        columns: ['variant', 'M', 'error %', 'NLL', 'Brier', 'ECE (15 bins)'],
        rows: curves.map((r) => [
          r.variant,
          r.members,
          +(100 * r.error).toFixed(2),
          +r.nll.toFixed(4),
          +r.brier.toFixed(4),
          +r.ece.toFixed(4),
        ]),
      },
      `on the ${mnist.test.n} test images`,
    );

    const headline: Record<string, number | string> = {
      members: cfg.members,
      epochs: cfg.epochs,
      train_images: mnist.train.n,
      test_images: mnist.test.n,
    };
    for (const v of cfg.variants) {
      const rows = curves.filter((r) => r.variant === v.name);
      const prefix = cfg.variants.length > 1 ? `${v.objective}_` : '';
      const first = rows[0],
        last = rows[rows.length - 1];
      Object.assign(headline, {
        [`${prefix}error_M1`]: first.error,
        [`${prefix}error_M${cfg.members}`]: last.error,
        [`${prefix}nll_M1`]: first.nll,
        [`${prefix}nll_M${cfg.members}`]: last.nll,
        [`${prefix}brier_M1`]: first.brier,
        [`${prefix}brier_M${cfg.members}`]: last.brier,
      });
    }
    return folder.finish(headline, { curves });
  } finally {
    mnist.dispose();
  }
}
