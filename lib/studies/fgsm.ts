// Study `fgsm` (seed 000's paper; Goodfellow et al. 2015): the fast gradient sign method
// x' = clip(x + eps * sign(grad_x J), 0, 1) in pixel space against each model of the list, for
// every eps: accuracy and mean confidence on the adversarial test images, accuracy-vs-eps plots
// and clean-vs-adversarial grids. Models: logistic regression and the seed CNN (trained in the
// run), the best seed-000 ResNet18 member and the ensemble of all members (fgsm-resnet.ts). Goodfellow et al. report at eps 0.25 a 99.9% error for a shallow
// softmax model (and 89.4% for a maxout network).
import { join } from 'node:path';

import { ArgumentError } from '../core/errors.js';
import { data, io } from '../index.js';
import { METRIC_COLUMNS } from '../train/metrics-tracker.js';
import { adversarialGrid, fgsmSweep, PixelSplit, pixelSplit, pointAt, sweepPlot, SweepPoint } from './shared/adversarial.js';
import type { TrainSettings } from '../train/classifier.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import { curves } from '../report/figures.js';
import { ATTACK_TARGETS, AttackTarget, PixelRunContext } from './shared/fgsm-models.js';
import { checkMembersConfig, FgsmMembersConfig, memberPool } from './shared/fgsm-resnet.js';
import { SEED000_MEMBERS } from './shared/resnet-members.js';
import type { StudySummary } from '../report/run-folder.js';

export interface FgsmConfig extends BaseConfig {
  /** Ids in ATTACK_TARGETS (fgsm-models.ts), attacked in this order. */
  models: string[];
  /** Training settings per model id (the models trained in the run: logreg, cnn). */
  train: Record<string, TrainSettings>;
  /** The seed-000 ResNet18 members behind 'resnet18' (the best one) and 'ensemble' (all of them). */
  members?: FgsmMembersConfig;
  /**
   * The ResNet targets are attacked on the first N test images only (each FGSM step costs a
   * forward and backward pass through every member); undefined = the whole test split.
   */
  memberTestLimit?: number;
  /** Overrides members.train.epochs (`--epochs`): the epoch count the cached members were trained with. */
  epochs?: number;
  /** L-infinity budgets in pixel units; 0 (the clean set) is always included. */
  eps: number[];
  /** The eps of the headline numbers (Goodfellow et al.'s 0.25). */
  headlineEps: number;
  /** eps rows of the clean-vs-adversarial grids, and images per row. */
  gridEps: number[];
  gridSize: number;
  /** Images per attack batch. */
  attackBatch: number;
}

const EPS = [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];

export const FGSM_FULL: FgsmConfig = {
  ...FULL_PRESET,
  models: ['logreg', 'cnn', 'resnet18', 'ensemble'],
  train: {
    logreg: { epochs: 30, batch: 128, lr: 1e-3, cosine: true },
    cnn: { epochs: 5, batch: 128, lr: 1e-3 },
  },
  // The report's 7 members, shared with the other ensemble studies through the cache folder.
  members: { members: SEED000_MEMBERS, cache: true },
  eps: EPS,
  headlineEps: 0.25,
  gridEps: [0.1, 0.25],
  gridSize: 10,
  attackBatch: 500,
};

// Quick: 2 tiny ResNet18 members trained in the run (1 epoch on 400 images, smaller batches so
// that they learn something in it; nothing read from or written to the cache), attacked on 100
// test images.
export const FGSM_QUICK: FgsmConfig = quickPreset(FGSM_FULL, 5000, 500, {
  gridSize: 8,
  train: {
    logreg: { epochs: 5, batch: 64, lr: 3e-3, cosine: true },
    cnn: { epochs: 2, batch: 64, lr: 1e-3 },
  },
  members: {
    members: { seeds: [0, 1], train: { ...SEED000_MEMBERS.train, epochs: 1, batch: 32, lr: 1e-3, evalBatch: 250 } },
    trainLimit: 500,
    cache: false,
  },
  memberTestLimit: 100,
});

function checkConfig(c: FgsmConfig): void {
  if (!c.models.length) throw new ArgumentError('fgsm: models is empty');
  for (const id of c.models) {
    const t = ATTACK_TARGETS[id];
    if (!t) throw new ArgumentError(`fgsm: unknown model '${id}' (known: ${Object.keys(ATTACK_TARGETS).join(', ')})`);
    if (t.uses === 'settings' && !c.train[id]) throw new ArgumentError(`fgsm: no training settings for model '${id}' in train`);
    if (t.uses === 'members' && !c.members)
      throw new ArgumentError(`fgsm: model '${id}' needs the ResNet18 members, but the config has no members`);
  }
  if (c.members) checkMembersConfig(c.members);
  if (c.memberTestLimit !== undefined && !(Number.isInteger(c.memberTestLimit) && c.memberTestLimit > 0))
    throw new ArgumentError(`fgsm: memberTestLimit must be a positive integer, got ${c.memberTestLimit}`);
  if (c.epochs !== undefined && !(Number.isInteger(c.epochs) && c.epochs > 0))
    throw new ArgumentError(`fgsm: epochs must be a positive integer, got ${c.epochs}`);
  for (const e of c.eps) if (!(Number.isFinite(e) && e >= 0)) throw new ArgumentError(`fgsm: eps values must be finite and >= 0, got ${e}`);
  for (const e of [0, c.headlineEps, ...c.gridEps])
    if (!c.eps.includes(e)) throw new ArgumentError(`fgsm: eps ${e} (clean, headline or grid) must be one of eps [${c.eps.join(', ')}]`);
  if (!(Number.isInteger(c.gridSize) && c.gridSize >= 1))
    throw new ArgumentError(`fgsm: gridSize must be an integer >= 1, got ${c.gridSize}`);
  if (!(Number.isInteger(c.attackBatch) && c.attackBatch >= 1))
    throw new ArgumentError(`fgsm: attackBatch must be an integer >= 1, got ${c.attackBatch}`);
}

interface Attacked {
  target: Omit<AttackTarget, 'model'>;
  points: SweepPoint[];
  /** Test images attacked. */
  n: number;
}

/** The first n images of a pixel split (views on its arrays; dispose x only). */
function firstImages(s: PixelSplit, n: number): PixelSplit {
  if (n >= s.n) return s;
  return {
    x: data.rowsOf(s.x, 0, n),
    y: data.rowsOf(s.y, 0, n),
    pixels: s.pixels.subarray(0, n * 784),
    labels: s.labels.subarray(0, n),
    n,
  };
}

const pct = (v: number) => +(100 * v).toFixed(2);

export async function run(config: FgsmConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  checkConfig(config);
  // --epochs sets the members' epochs (part of their cache key); config.json records the result.
  const cfg: FgsmConfig =
    config.epochs !== undefined && config.members
      ? {
          ...config,
          members: {
            ...config.members,
            members: { ...config.members.members, train: { ...config.members.members.train, epochs: config.epochs } },
          },
        }
      : config;
  const eps = [...new Set(cfg.eps)].sort((a, b) => a - b);
  const ctx = startRun('fgsm', cfg, hooks, {
    attack:
      "FGSM x' = clip(x + eps * sign(grad_x CE(model(x), y)), 0, 1) on raw pixels in [0, 1]; each model normalises inside its forward pass; gradients in eval mode",
    models_described: Object.fromEntries(cfg.models.map((id) => [id, ATTACK_TARGETS[id].description])),
    confidence: 'max softmax probability on the attacked image',
    ...(cfg.members &&
      cfg.models.some((id) => ATTACK_TARGETS[id].uses === 'members') && {
        resnet_pipeline:
          "members trained on the seed-000 pipeline (resnet-data.ts); attacked through its differentiable copy (resnet-pixel.ts): bilinear 28 -> 32 as interpolation matrices, 3 channels, the members' normalisation",
      }),
  });
  const { folder, device, mnist, log } = ctx;
  const pixels = { train: pixelSplit(mnist.train, device), test: pixelSplit(mnist.test, device) };
  const members =
    cfg.members && cfg.models.some((id) => ATTACK_TARGETS[id].uses === 'members')
      ? memberPool(cfg.members, { device, seed: cfg.seed, testLimit: cfg.memberTestLimit ?? cfg.testLimit, log })
      : null;
  const pctx: PixelRunContext = { ...ctx, pixels, members };
  try {
    const labels = mnist.test.labels;
    const results: Attacked[] = [];
    for (const id of cfg.models) {
      const factory = ATTACK_TARGETS[id];
      const { model, ...target } = await factory.build(pctx, cfg.train[id], cfg.seed);
      try {
        const test = factory.uses === 'members' && cfg.memberTestLimit ? firstImages(pixels.test, cfg.memberTestLimit) : pixels.test;
        log(`${factory.label}: FGSM on ${test.n} test images at eps ${eps.join(', ')}`);
        let sweep;
        try {
          sweep = fgsmSweep(model, test, eps, { batch: cfg.attackBatch, keepImages: cfg.gridSize, log, name: factory.label });
        } finally {
          if (test !== pixels.test) {
            test.x.dispose();
            test.y.dispose();
          }
        }
        results.push({ target, points: sweep.points, n: test.n });
        folder.figure(
          `grid_${id}`,
          `${factory.label}: clean and FGSM images`,
          adversarialGrid(
            sweep,
            labels,
            cfg.gridEps,
            cfg.gridSize,
            `${factory.label}: clean (top) and FGSM at eps ${cfg.gridEps.join(', ')}`,
          ),
          'each column is one test image; prediction and its probability under each; red = misclassified',
        );
      } finally {
        if (!target.shared) model.dispose();
      }
    }

    io.writeCsv(
      join(folder.dir, 'metrics.csv'),
      ['model', ...METRIC_COLUMNS],
      results.flatMap((r) => r.target.history.map((h) => [r.target.id, ...METRIC_COLUMNS.map((k) => h[k])])),
    );
    io.writeCsv(
      join(folder.dir, 'sweep.csv'),
      ['model', 'eps', 'accuracy', 'error', 'mean_confidence', 'mean_confidence_wrong', 'nll', 'brier', 'test_images'],
      results.flatMap((r) =>
        r.points.map((p) => [r.target.id, p.eps, p.accuracy, p.error, p.meanConfidence, p.meanConfidenceWrong, p.nll, p.brier, r.n]),
      ),
    );
    folder.table('fgsm_table', {
      title: 'FGSM on the first test images: error % (mean confidence) per eps',
      columns: ['model', 'test images', ...eps.map((e) => `eps ${e}`)],
      rows: results.map((r) => [r.target.label, r.n, ...r.points.map((p) => `${pct(p.error)}% (${p.meanConfidence.toFixed(3)})`)]),
    });
    const named = results.map((r) => ({ name: r.target.label, points: r.points }));
    folder.figure('accuracy_vs_eps', 'Accuracy on FGSM images vs eps', sweepPlot(named, 'accuracy', 'Accuracy under FGSM'));
    folder.figure(
      'confidence_vs_eps',
      'Mean confidence on FGSM images vs eps',
      sweepPlot(named, 'meanConfidence', 'Mean max-probability under FGSM'),
      'the confidence of the (mostly wrong) predictions on adversarial images',
    );
    for (const r of results.filter((q) => q.target.history.length))
      folder.figure(
        `${r.target.id}_curves`,
        `${r.target.label}: loss per epoch`,
        curves([{ name: r.target.id, history: r.target.history }], 'loss', `${r.target.label}: loss`),
      );

    const headline: Record<string, number | string> = { eps: cfg.headlineEps, test_images: pixels.test.n, train_images: pixels.train.n };
    for (const r of results) {
      const clean = pointAt(r.points, 0),
        at = pointAt(r.points, cfg.headlineEps);
      headline[`${r.target.id}_clean_accuracy`] = clean.accuracy;
      headline[`${r.target.id}_fgsm_error`] = at.error;
      headline[`${r.target.id}_fgsm_mean_confidence`] = at.meanConfidence;
      if (r.n !== pixels.test.n) headline[`${r.target.id}_test_images`] = r.n;
    }
    return folder.finish(headline, {
      sweep: Object.fromEntries(results.map((r) => [r.target.id, r.points])),
      parameters: Object.fromEntries(results.map((r) => [r.target.id, r.target.parameters])),
      ...(results.some((r) => r.target.details) && {
        models: Object.fromEntries(results.filter((r) => r.target.details).map((r) => [r.target.id, r.target.details])),
      }),
    });
  } finally {
    await members?.dispose();
    pixels.train.x.dispose();
    pixels.test.x.dispose();
    mnist.dispose();
  }
}
