// Study `resnet-pretrain` (seed 000, experiment 1): ResNet18 on MNIST (32x32, 3 channels, MNIST
// normalisation, 80/20 split) trained from scratch against a pretrained start whose fc is reset;
// plus the initialisation variants (PyTorch default, Kaiming, Xavier) and shuffling on vs off.
// Offline, the pretrained model is a ResNet18 nnlab first trains on FashionMNIST through the same
// pipeline; `--weights FILE` takes torchvision-named weights instead (e.g. ImageNet's).
// As a graph (lib/scale): one unit per variant and one for the pretraining, which the 'pretrained'
// variant runs after (on Slurm: a second job array, afterok the first); the reduce step writes the
// figures and the report. run() is the same graph in this process, in plan order.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { ArgumentError } from '../core/errors.js';
import { RandomGenerator, manualSeed, nn, resolveDevice } from '../index.js';
import { BaseConfig, checkLimits, FULL_PRESET, quickPreset, RunHooks, stderrLog } from './shared/common.js';
import { loadResnetData } from '../data/resnet-data.js';
import { loadBackbone, SEED000_TRAIN, trainResnet } from '../train/resnet-train.js';
import { RunFolder, StudySummary, timestamp } from '../report/run-folder.js';
import { claimRunFolder } from '../report/run-lock.js';
import type { UnitOutput, UnitSpec } from '../scale/index.js';
import { defaultCpus, StudyGraph, UnitContext } from './shared/graph.js';
import {
  PretrainResult,
  PretrainVariant,
  TrainSettings,
  VariantResult,
  writeResnetPretrainReport,
} from './shared/resnet-pretrain-report.js';

export type { PretrainVariant, TrainSettings };

/**
 * A from-scratch recipe for a well-trained ResNet18 (the report's Adam 1e-4 at batch 512 reaches
 * only ~98.3% after 3 epochs): Adam 1e-3 at batch 128, shuffled, the rate annealed to 0 by a
 * per-epoch cosine, 6 epochs.
 */
export const SCRATCH_TUNED_RECIPE: TrainSettings = { epochs: 6, batch: 128, lr: 1e-3, weightDecay: 1e-4, cosine: true, evalBatch: 1000 };

export const PRETRAIN_VARIANTS: readonly PretrainVariant[] = [
  { id: 'scratch', description: "from scratch (torchvision's init), no shuffling", start: 'scratch', init: 'torchvision', shuffle: false },
  { id: 'pretrained', description: 'pretrained weights, fc reset, no shuffling', start: 'pretrained', init: 'torchvision', shuffle: false },
  { id: 'init-default', description: "PyTorch's per-layer default init, no shuffling", start: 'scratch', init: 'default', shuffle: false },
  { id: 'init-kaiming', description: 'Kaiming normal (fan_in) init, no shuffling', start: 'scratch', init: 'kaiming', shuffle: false },
  { id: 'init-xavier', description: 'Xavier uniform init, no shuffling', start: 'scratch', init: 'xavier', shuffle: false },
  {
    id: 'shuffle',
    description: "from scratch (torchvision's init), shuffled every epoch",
    start: 'scratch',
    init: 'torchvision',
    shuffle: true,
  },
  {
    id: 'scratch-tuned',
    description: "from scratch (torchvision's init), shuffled, Adam 1e-3, batch 128, cosine decay over 6 epochs",
    start: 'scratch',
    init: 'torchvision',
    shuffle: true,
    tuned: true,
  },
];

export interface ResnetPretrainConfig extends BaseConfig {
  train: TrainSettings;
  /** Settings of the 'scratch-tuned' variant (SCRATCH_TUNED_RECIPE in the full preset). */
  tuned: TrainSettings;
  /** The offline pretrained model: trained on this data set (same pipeline) unless `weights`. */
  pretrain: TrainSettings & { dataset: string; trainLimit?: number; testLimit?: number; shuffle: boolean };
  /** torchvision-named safetensors weights for the 'pretrained' start (fc is reset to 10 classes). */
  weights?: string;
  /** Overrides the epochs of `train` and `pretrain` (not of `tuned`): a shorter convergence comparison. */
  epochs?: number;
  /** Variant ids (PRETRAIN_VARIANTS). */
  variants: string[];
  /** Validation accuracies whose first epoch is reported (convergence). */
  thresholds: number[];
}

export const RESNET_PRETRAIN_FULL: ResnetPretrainConfig = {
  ...FULL_PRESET,
  train: { ...SEED000_TRAIN },
  tuned: { ...SCRATCH_TUNED_RECIPE },
  pretrain: { ...SEED000_TRAIN, dataset: 'fashion', shuffle: true },
  variants: PRETRAIN_VARIANTS.map((v) => v.id),
  thresholds: [0.9, 0.95, 0.98, 0.99],
};

// ResNet18 costs ~0.2 GFLOP per training image (about 10 ms of one core here): the quick preset
// trains every variant for two epochs on 200 images with a larger step (batch 16, lr 1e-3), so
// that it learns something in 26 steps and draws curves rather than points.
export const RESNET_PRETRAIN_QUICK: ResnetPretrainConfig = quickPreset(RESNET_PRETRAIN_FULL, 250, 200, {
  train: { epochs: 2, batch: 16, lr: 1e-3, weightDecay: 1e-4, evalBatch: 200 },
  tuned: { epochs: 2, batch: 16, lr: 1e-3, weightDecay: 1e-4, cosine: true, evalBatch: 200 },
  pretrain: {
    epochs: 2,
    batch: 16,
    lr: 1e-3,
    weightDecay: 1e-4,
    evalBatch: 200,
    dataset: 'fashion',
    trainLimit: 250,
    testLimit: 100,
    shuffle: true,
  },
  thresholds: [0.3, 0.5, 0.7],
});

/** The configuration with `epochs` applied and checked, and the variants it trains. */
function prepare(config: ResnetPretrainConfig): { cfg: ResnetPretrainConfig; variants: PretrainVariant[]; pretrainId: string | null } {
  checkLimits(config);
  if (config.epochs !== undefined && !(Number.isInteger(config.epochs) && config.epochs > 0))
    throw new ArgumentError(`resnet-pretrain: epochs must be a positive integer, got ${config.epochs}`);
  const cfg =
    config.epochs === undefined
      ? config
      : { ...config, train: { ...config.train, epochs: config.epochs }, pretrain: { ...config.pretrain, epochs: config.epochs } };
  const unknown = cfg.variants.filter((v) => !PRETRAIN_VARIANTS.some((x) => x.id === v));
  if (unknown.length)
    throw new ArgumentError(
      `resnet-pretrain: unknown variant(s) ${unknown.join(', ')} (known: ${PRETRAIN_VARIANTS.map((v) => v.id).join(', ')})`,
    );
  const variants = PRETRAIN_VARIANTS.filter((v) => cfg.variants.includes(v.id));
  if (!variants.length) throw new ArgumentError('resnet-pretrain: no variant to train');
  const needPretrain = !cfg.weights && variants.some((v) => v.start === 'pretrained');
  return { cfg, variants, pretrainId: needPretrain ? `pretrain-${cfg.pretrain.dataset}` : null };
}

/** The units: the pretraining (when a variant starts from it and no --weights), then every variant. */
function units(config: ResnetPretrainConfig): UnitSpec[] {
  const { cfg, variants, pretrainId } = prepare(config);
  if (cfg.weights) {
    // Check the file before any training: a bad file should fail now, not after the first variant.
    const probe = new nn.ResNet18({ numClasses: 10, generator: new RandomGenerator(0) });
    try {
      loadBackbone(probe, cfg.weights);
    } finally {
      probe.dispose();
    }
  }
  const resources = { cpus: defaultCpus(cfg.preset), memMB: cfg.preset === 'quick' ? 2000 : 8000, gpu: cfg.device === 'cuda' };
  return [
    ...(pretrainId ? [{ id: pretrainId, input: { pretrain: cfg.pretrain.dataset }, resources }] : []),
    ...variants.map((v): UnitSpec => ({
      id: v.id,
      input: { variant: v.id },
      resources,
      ...(v.start === 'pretrained' && pretrainId && { after: [pretrainId] }),
    })),
  ];
}

/** Trains one unit into <run>/<unit id> (the folder layout of the one-process run), resuming from its checkpoint there. */
async function runUnit(config: ResnetPretrainConfig, unit: UnitSpec, ctx: UnitContext): Promise<Record<string, unknown>> {
  const { cfg, variants, pretrainId } = prepare(config);
  const log = ctx.log;
  const device = resolveDevice(cfg.device, log);
  manualSeed(cfg.seed);
  const outDir = join(ctx.run, unit.id);
  mkdirSync(outDir, { recursive: true });
  if (unit.input.pretrain !== undefined) {
    const { pretrain } = cfg;
    log(`pretraining ResNet18 on ${pretrain.dataset} (${pretrain.epochs} epochs) for the 'pretrained' start`);
    const fd = loadResnetData({
      dataset: pretrain.dataset,
      trainLimit: pretrain.trainLimit,
      testLimit: pretrain.testLimit,
      splitSeed: cfg.seed,
      device,
    });
    try {
      const t = await trainResnet(
        fd,
        { ...pretrain, seed: cfg.seed, init: 'torchvision', shuffle: pretrain.shuffle },
        { device, outDir, log, label: `pretrained on ${pretrain.dataset}`, resumable: true },
      );
      t.model.dispose();
      log(`pretrained model: ${fd.dataset} test accuracy ${(100 * t.test.acc).toFixed(2)}%, saved to ${t.weightsPath}`);
      const result: PretrainResult = { history: t.history, val_acc: t.val.acc, test_acc: t.test.acc, images: fd.train.n };
      return { pretrain: result, weights: t.weightsPath };
    } finally {
      fd.dispose();
    }
  }
  const v = variants.find((x) => x.id === unit.input.variant);
  if (!v) throw new ArgumentError(`resnet-pretrain unit ${unit.id}: variant '${String(unit.input.variant)}' is not in this configuration`);
  let weights: string | null = null;
  if (v.start === 'pretrained') {
    weights = cfg.weights ?? ((pretrainId && ctx.after.get(pretrainId)?.output.weights) as string | undefined) ?? null;
    if (!weights) throw new ArgumentError(`resnet-pretrain unit ${unit.id}: no pretrained weights (the ${pretrainId} unit's output)`);
  }
  const d = loadResnetData({ dataset: 'mnist', trainLimit: cfg.trainLimit, testLimit: cfg.testLimit, splitSeed: cfg.seed, device });
  try {
    log(`variant ${v.id}: ${v.description}`);
    const t = await trainResnet(
      d,
      { ...(v.tuned ? cfg.tuned : cfg.train), seed: cfg.seed, init: v.init, shuffle: v.shuffle, weights },
      { device, outDir, log, label: v.id, resumable: true },
    );
    const { model, ...trained } = t;
    model.dispose();
    log(
      `variant ${v.id}: best epoch ${t.bestEpoch}, val accuracy ${(100 * t.val.acc).toFixed(2)}%, test accuracy ${(100 * t.test.acc).toFixed(2)}%`,
    );
    const data = {
      dataset: 'mnist',
      source: d.source,
      pipeline: 'uint8 -> [0,1] -> bilinear 28->32 -> normalised with the train part mean/std -> 3 channels by replication',
      split: `seeded 80/20 train/val split of the official train set (seed ${cfg.seed}); the official test set`,
      train_images: d.train.n,
      val_images: d.val.n,
      test_images: d.test.n,
      normalization: d.stats,
    };
    return { trained, data };
  } finally {
    d.dispose();
  }
}

/** The reduce step: config.json, metrics.csv, figures, tables and report over the finished units. */
async function reduce(
  config: ResnetPretrainConfig,
  ctx: { run: string; outputs: Map<string, UnitOutput>; log: (s: string) => void },
): Promise<StudySummary> {
  const { cfg, variants, pretrainId } = prepare(config);
  const out = (id: string) => {
    const o = ctx.outputs.get(id);
    if (!o) throw new ArgumentError(`resnet-pretrain reduce: unit '${id}' has no output`);
    return o.output;
  };
  const folder = new RunFolder('resnet-pretrain', ctx.run, { resume: true });
  const device = resolveDevice(cfg.device, ctx.log);
  const results: VariantResult[] = variants.map((v) => ({ ...v, trained: out(v.id).trained as VariantResult['trained'] }));
  const pretrainResult = pretrainId ? (out(pretrainId).pretrain as PretrainResult) : null;
  const data = out(variants[0].id).data as { train_images: number };
  folder.writeConfig(
    {
      ...cfg,
      out: folder.dir,
      pretrained_start:
        cfg.weights ??
        (pretrainId ? `a ResNet18 trained on ${cfg.pretrain.dataset} in this run (${pretrainId}/best.safetensors)` : 'not used'),
      model: 'torchvision resnet18 layout, fc = Linear(512, 10)',
      optimizer: 'Adam (L2 weight decay as torch.optim.Adam)',
      loss: 'cross-entropy',
      kept_checkpoint: 'the epoch with the lowest validation loss; test numbers are of that checkpoint',
      variant_specs: variants,
      data,
    },
    device,
  );
  return writeResnetPretrainReport(folder, cfg, results, pretrainResult, data.train_images);
}

export const resnetPretrainGraph: StudyGraph<ResnetPretrainConfig> = {
  units,
  reduceResources: (c) => ({ cpus: defaultCpus(c.preset), memMB: 2000, gpu: false }),
  runUnit,
  reduce,
};

/** The whole study in this process: the graph's units in plan order, then its reduce step. */
export async function run(config: ResnetPretrainConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const log = hooks.log ?? stderrLog;
  const plan = units(config);
  // Claimed as a new run (refused when it holds one, unless force), then released for the units and the reduce step.
  const claim = claimRunFolder(config.out ?? join('runs', 'resnet-pretrain', timestamp()), { force: config.force });
  const dir = claim.dir;
  claim.release();
  mkdirSync(dir, { recursive: true });
  const outputs = new Map<string, UnitOutput>();
  for (const u of plan) {
    const after = new Map((u.after ?? []).map((d) => [d, outputs.get(d)!]));
    const t0 = performance.now();
    const output = await runUnit(config, u, { run: dir, dir: join(dir, u.id), after, log });
    // Through JSON as a unit's marker is: the reduce step reads the same values either way.
    outputs.set(u.id, {
      id: u.id,
      output: JSON.parse(JSON.stringify(output)) as Record<string, unknown>,
      seconds: (performance.now() - t0) / 1000,
      threads: u.resources.cpus,
      finished_at: new Date().toISOString(),
    });
  }
  return reduce(config, { run: dir, outputs, log });
}
