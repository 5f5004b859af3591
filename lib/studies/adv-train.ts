// Study `adv-train` (seed 000's paper): the seed CNN trained on MNIST normally, with Goodfellow et
// al.'s adversarial objective a*J(x, y) + (1 - a)*J(x', y) (a = 0.5, x' = FGSM at eps 0.25), with
// the Deep Ensembles variant J(x, y) + J(x', y) (eps = 1% of the input range), and with the
// random-sign control (x' = x + eps * random sign). Each model is then attacked with FGSM over a
// range of eps (and PGD at the headline eps, which tells real robustness from gradient masking):
// clean error, adversarial error, confidence, NLL and Brier score before and after.
import { join } from 'node:path';

import { AdversarialTrainingLoader } from '../attacks/adversarial-training.js';
import type { Perturbation } from '../attacks/adversarial-training.js';
import { evaluateAttack } from '../attacks/evaluate.js';
import type { AttackEvaluation } from '../attacks/evaluate.js';
import { randomSign } from '../attacks/fgsm.js';
import { PixelSpaceModel } from '../attacks/pixel-model.js';
import { pgd } from '../attacks/pgd.js';
import { ArgumentError } from '../core/errors.js';
import { data, fit, RandomGenerator, io, optim, saveWeights, seedCnn } from '../index.js';
import type { EpochMetrics } from '../train/metrics-tracker.js';
import { METRIC_COLUMNS } from '../train/metrics-tracker.js';
import { adversarialGrid, fgsmSweep, PixelSplit, pixelSplit, pointAt, sweepPlot, SweepPoint, sweepPoint } from './shared/adversarial.js';
import type { TrainSettings } from '../train/classifier.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunContext, RunHooks, startRun } from './shared/common.js';
import { curves } from '../report/figures.js';
import type { StudySummary } from '../report/run-folder.js';

export interface AdvVariant {
  /** Lower-case id used in file names and headline keys. */
  id: string;
  label: string;
  /** null = ordinary training on clean images. */
  perturbation: Perturbation | null;
  eps: number;
  /** [weight of J(x, y), weight of J(x', y)]. */
  weights: [number, number];
}

export interface AdvTrainConfig extends BaseConfig {
  /** Seed CNN training, the same for every variant (same initial weights and batch order). */
  train: TrainSettings;
  variants: AdvVariant[];
  /** FGSM budgets of the evaluation sweep; must include 0 (clean) and headlineEps. */
  evalEps: number[];
  headlineEps: number;
  /** PGD at headlineEps (random start), or null to skip it. */
  pgd: { steps: number; stepSize: number } | null;
  attackBatch: number;
  gridSize: number;
}

export const ADV_VARIANTS: AdvVariant[] = [
  { id: 'plain', label: 'standard training', perturbation: null, eps: 0, weights: [1, 0] },
  { id: 'goodfellow', label: 'FGSM training, a = 0.5, eps 0.25 (Goodfellow)', perturbation: 'fgsm', eps: 0.25, weights: [0.5, 0.5] },
  { id: 'deep-ensembles', label: "FGSM training, J(x)+J(x'), eps 0.01 (Deep Ensembles)", perturbation: 'fgsm', eps: 0.01, weights: [1, 1] },
  { id: 'random-sign', label: 'random-sign control, a = 0.5, eps 0.25', perturbation: 'random-sign', eps: 0.25, weights: [0.5, 0.5] },
];

export const ADV_TRAIN_FULL: AdvTrainConfig = {
  ...FULL_PRESET,
  train: { epochs: 5, batch: 128, lr: 1e-3 },
  variants: ADV_VARIANTS,
  evalEps: [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3],
  headlineEps: 0.25,
  // Madry et al.'s rule of thumb: step = 2.5 * eps / steps.
  pgd: { steps: 20, stepSize: 0.03125 },
  attackBatch: 500,
  gridSize: 10,
};

// Quick: the Deep Ensembles variant is left out (the same code path as Goodfellow's with another
// eps and weights, which test/device/attacks.test.ts checks) to keep the preset under a minute.
export const ADV_TRAIN_QUICK: AdvTrainConfig = quickPreset(ADV_TRAIN_FULL, 3000, 400, {
  train: { epochs: 2, batch: 64, lr: 1e-3 },
  variants: ADV_VARIANTS.filter((v) => v.id !== 'deep-ensembles'),
  evalEps: [0, 0.1, 0.2, 0.25, 0.3],
  pgd: { steps: 3, stepSize: 0.2 },
  gridSize: 8,
});

function checkConfig(c: AdvTrainConfig): void {
  if (!c.variants.length) throw new ArgumentError('adv-train: variants is empty');
  const ids = new Set<string>();
  for (const v of c.variants) {
    if (!/^[a-z0-9-]+$/.test(v.id) || ids.has(v.id))
      throw new ArgumentError(`adv-train: variant id '${v.id}' must be unique, lower-case letters, digits or '-'`);
    ids.add(v.id);
    if (v.perturbation !== null && v.perturbation !== 'fgsm' && v.perturbation !== 'random-sign')
      throw new ArgumentError(`adv-train: variant '${v.id}': perturbation must be null, 'fgsm' or 'random-sign', got '${v.perturbation}'`);
  }
  for (const e of c.evalEps)
    if (!(Number.isFinite(e) && e >= 0)) throw new ArgumentError(`adv-train: evalEps values must be finite and >= 0, got ${e}`);
  for (const e of [0, c.headlineEps])
    if (!c.evalEps.includes(e))
      throw new ArgumentError(`adv-train: eps ${e} (clean or headline) must be one of evalEps [${c.evalEps.join(', ')}]`);
  if (c.pgd && !(Number.isInteger(c.pgd.steps) && c.pgd.steps >= 1 && c.pgd.stepSize > 0))
    throw new ArgumentError(`adv-train: pgd needs steps >= 1 (integer) and stepSize > 0, got ${JSON.stringify(c.pgd)}`);
}

interface VariantResult {
  variant: AdvVariant;
  history: EpochMetrics[];
  trainSeconds: number;
  fgsm: SweepPoint[];
  /** At headlineEps. */
  pgd: SweepPoint | null;
  randomSign: SweepPoint;
}

/** Trains one variant of the seed CNN in pixel space (metrics.csv, best and final weights in <run>/<id>/). */
async function trainVariant(v: AdvVariant, c: AdvTrainConfig, ctx: RunContext, px: { train: PixelSplit; test: PixelSplit }) {
  const model = new PixelSpaceModel(seedCnn(new RandomGenerator(c.seed)), ctx.mnist.stats).to(ctx.device);
  const dataset = data.tensorDataset(px.train.x, px.train.y);
  const loaderOpts = { batchSize: c.train.batch, shuffle: true, seed: c.seed };
  const loader =
    v.perturbation === null
      ? new data.DataLoader(dataset, loaderOpts)
      : new AdversarialTrainingLoader(dataset, loaderOpts, {
          model,
          eps: v.eps,
          perturbation: v.perturbation,
          weights: v.weights,
          generator: new RandomGenerator(c.seed + 1),
        });
  const opt = new optim.Adam(model.parameters(), { lr: c.train.lr, weightDecay: c.train.weightDecay ?? 0 });
  const outDir = ctx.folder.sub(v.id);
  ctx.log(`${v.id}: ${v.label}; ${c.train.epochs} epochs on ${px.train.n} images`);
  const t0 = performance.now();
  const r = await fit(model, loader, {
    epochs: c.train.epochs,
    optimizer: opt,
    outDir,
    log: ctx.log,
    val: new data.DataLoader(data.tensorDataset(px.test.x, px.test.y), { batchSize: 1000 }),
    lossFn: loader instanceof AdversarialTrainingLoader ? loader.lossFn : undefined,
    scheduler: c.train.cosine ? new optim.CosineAnnealingLR(opt, c.train.epochs) : undefined,
  });
  opt.dispose();
  saveWeights(join(outDir, 'model.safetensors'), model.model, { model: 'seed-cnn', variant: v.id });
  return { model, history: r.history, trainSeconds: (performance.now() - t0) / 1000 };
}

const pct = (v: number) => +(100 * v).toFixed(2);

export async function run(cfg: AdvTrainConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  checkConfig(cfg);
  const evalEps = [...new Set(cfg.evalEps)].sort((a, b) => a - b);
  const ctx = startRun('adv-train', cfg, hooks, {
    model: 'seed CNN trained on raw pixels in [0, 1], normalised inside the forward pass (attacks.PixelSpaceModel)',
    objective: "w_clean * mean CE(x) + w_adv * mean CE(x') per batch, x' computed against the current weights in training mode",
    train_acc_note: 'for adversarial variants train_loss/train_acc in metrics.csv are over the clean and perturbed rows of each batch',
    evaluation:
      'white-box FGSM against each model itself (eval mode); PGD with a random start at headlineEps; random-sign noise of the same size',
  });
  const { folder, device, mnist, log } = ctx;
  const px = { train: pixelSplit(mnist.train, device), test: pixelSplit(mnist.test, device) };
  try {
    const labels = mnist.test.labels;
    const results: VariantResult[] = [];
    for (const v of cfg.variants) {
      const { model, history, trainSeconds } = await trainVariant(v, cfg, ctx, px);
      try {
        const sweep = fgsmSweep(model, px.test, evalEps, { batch: cfg.attackBatch, keepImages: cfg.gridSize, log, name: v.id });
        let pgdPoint: SweepPoint | null = null;
        if (cfg.pgd) {
          const { steps, stepSize } = cfg.pgd;
          const gen = new RandomGenerator(cfg.seed + 2);
          const ev: AttackEvaluation = evaluateAttack(
            model,
            px.test.x,
            px.test.y,
            (m, x, y) => pgd(m, x, y, { eps: cfg.headlineEps, stepSize, steps, generator: gen }),
            { batch: cfg.attackBatch },
          );
          pgdPoint = sweepPoint(cfg.headlineEps, ev, labels);
          log(`${v.id}: PGD (${steps} steps) eps ${cfg.headlineEps}: accuracy ${(100 * pgdPoint.accuracy).toFixed(2)}%`);
        }
        const gen = new RandomGenerator(cfg.seed + 3);
        const rs = sweepPoint(
          cfg.headlineEps,
          evaluateAttack(model, px.test.x, px.test.y, (_m, x) => randomSign(x, { eps: cfg.headlineEps, generator: gen }), {
            batch: cfg.attackBatch,
          }),
          labels,
        );
        results.push({ variant: v, history, trainSeconds, fgsm: sweep.points, pgd: pgdPoint, randomSign: rs });
        folder.figure(
          `grid_${v.id}`,
          `${v.label}: clean and FGSM images`,
          adversarialGrid(sweep, labels, [cfg.headlineEps], cfg.gridSize, `${v.id}: clean (top) and FGSM at eps ${cfg.headlineEps}`),
          'prediction and its probability under each image; red = misclassified',
        );
      } finally {
        model.dispose();
      }
    }

    io.writeCsv(
      join(folder.dir, 'metrics.csv'),
      ['variant', ...METRIC_COLUMNS],
      results.flatMap((r) => r.history.map((h) => [r.variant.id, ...METRIC_COLUMNS.map((k) => h[k])])),
    );
    const rows = results.flatMap((r) => [
      ...r.fgsm.map((p) => [r.variant.id, p.eps === 0 ? 'clean' : 'fgsm', p] as const),
      ...(r.pgd ? [[r.variant.id, 'pgd', r.pgd] as const] : []),
      [r.variant.id, 'random-sign', r.randomSign] as const,
    ]);
    io.writeCsv(
      join(folder.dir, 'results.csv'),
      ['variant', 'attack', 'eps', 'accuracy', 'error', 'mean_confidence', 'mean_confidence_wrong', 'nll', 'brier'],
      rows.map(([id, attack, p]) => [id, attack, p.eps, p.accuracy, p.error, p.meanConfidence, p.meanConfidenceWrong, p.nll, p.brier]),
    );

    const e = cfg.headlineEps;
    folder.table(
      'adv_train_table',
      {
        title: `Seed CNN on ${px.test.n} test images: error % (mean confidence), attacks at eps ${e}`,
        columns: [
          'training',
          'clean',
          `FGSM`,
          ...(cfg.pgd ? [`PGD-${cfg.pgd.steps}`] : []),
          'random sign',
          'clean NLL',
          'clean Brier',
          'FGSM NLL',
          'FGSM Brier',
        ],
        rows: results.map((r) => {
          const clean = pointAt(r.fgsm, 0),
            at = pointAt(r.fgsm, e);
          const cell = (p: SweepPoint) => `${pct(p.error)}% (${p.meanConfidence.toFixed(3)})`;
          return [
            r.variant.label,
            cell(clean),
            cell(at),
            ...(r.pgd ? [cell(r.pgd)] : []),
            cell(r.randomSign),
            +clean.nll.toFixed(4),
            +clean.brier.toFixed(4),
            +at.nll.toFixed(3),
            +at.brier.toFixed(4),
          ];
        }),
      },
      'NLL and Brier score computed by the study (lib/metrics will hold the shared versions)',
    );
    const named = results.map((r) => ({ name: r.variant.id, points: r.fgsm }));
    folder.figure(
      'accuracy_vs_eps',
      'FGSM accuracy vs eps per training',
      sweepPlot(named, 'accuracy', 'Seed CNN under FGSM: accuracy per training'),
      'an FGSM accuracy that rises with eps, with a PGD error near 100% in the table, is gradient masking (label leaking), not robustness',
    );
    folder.figure(
      'confidence_vs_eps',
      'Mean confidence on FGSM images vs eps per training',
      sweepPlot(named, 'meanConfidence', 'Seed CNN under FGSM: mean max-probability'),
    );
    folder.figure(
      'loss_curves',
      'Test loss per epoch per training',
      curves(
        results.map((r) => ({ name: r.variant.id, history: r.history })),
        'loss',
        'Clean test loss per epoch',
        { withTrain: false },
      ),
    );

    const headline: Record<string, number | string> = { eps: e, test_images: px.test.n, train_images: px.train.n };
    for (const r of results) {
      const id = r.variant.id,
        clean = pointAt(r.fgsm, 0),
        at = pointAt(r.fgsm, e);
      headline[`${id}_clean_accuracy`] = clean.accuracy;
      headline[`${id}_fgsm_error`] = at.error;
      headline[`${id}_fgsm_mean_confidence`] = at.meanConfidence;
      if (r.pgd) headline[`${id}_pgd_error`] = r.pgd.error;
      headline[`${id}_random_sign_error`] = r.randomSign.error;
    }
    const plain = results.find((r) => r.variant.perturbation === null);
    if (plain) {
      const base = pointAt(plain.fgsm, e).error;
      for (const r of results)
        if (r !== plain) headline[`${r.variant.id}_fgsm_error_ratio`] = base > 0 ? pointAt(r.fgsm, e).error / base : 0;
    }
    return folder.finish(headline, {
      results: Object.fromEntries(
        results.map((r) => [r.variant.id, { fgsm: r.fgsm, pgd: r.pgd, random_sign: r.randomSign, train_seconds: r.trainSeconds }]),
      ),
    });
  } finally {
    px.train.x.dispose();
    px.test.x.dispose();
    mnist.dispose();
  }
}
