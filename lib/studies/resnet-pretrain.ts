// Study `resnet-pretrain` (seed 000, experiment 1): ResNet18 on MNIST (32x32, 3 channels, MNIST
// normalisation, 80/20 split) trained from scratch against a pretrained start whose fc is reset;
// plus the initialisation variants (PyTorch default, Kaiming, Xavier) and shuffling on vs off.
// Offline, the pretrained model is a ResNet18 nnlab first trains on FashionMNIST through the same
// pipeline; `--weights FILE` takes torchvision-named weights instead (e.g. ImageNet's).
import { join } from 'node:path';

import { ArgumentError } from '../core/errors.js';
import { RandomGenerator, io, manualSeed, nn, resolveDevice } from '../index.js';
import { METRIC_COLUMNS } from '../train/metrics-tracker.js';
import type { EpochMetrics } from '../train/metrics-tracker.js';
import { barChart } from '../viz/bar-chart.js';
import { linePlot, Series } from '../viz/line-plot.js';
import { BaseConfig, checkLimits, FULL_PRESET, quickPreset, RunHooks, stderrLog } from './shared/common.js';
import { loadResnetData, ResnetData } from '../data/resnet-data.js';
import { epochsToReach, loadBackbone, ResnetTrainConfig, SEED000_TRAIN, trainResnet, TrainedResnet } from '../train/resnet-train.js';
import { RunFolder, StudySummary } from '../report/run-folder.js';

export interface PretrainVariant {
  id: string;
  description: string;
  /** 'pretrained': the pretrained weights with a fresh fc; 'scratch': an initialisation. */
  start: 'scratch' | 'pretrained';
  init: nn.ResnetInit;
  shuffle: boolean;
  /** Trained with the study's `tuned` settings instead of `train`. */
  tuned?: boolean;
}

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

type TrainSettings = Omit<ResnetTrainConfig, 'seed' | 'init' | 'shuffle' | 'weights'>;

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

interface VariantResult extends PretrainVariant {
  trained: Omit<TrainedResnet, 'model'>;
}

function settingsLabel(t: TrainSettings): string {
  return `Adam ${t.lr}, batch ${t.batch}, ${t.epochs} epoch${t.epochs === 1 ? '' : 's'}${t.cosine ? ', cosine' : ''}`;
}

function pct(v: number): number {
  return +(100 * v).toFixed(2);
}

function valCurves(runs: { id: string; history: EpochMetrics[] }[], metric: 'val_acc' | 'val_loss', title: string): string {
  const series: Series[] = runs.map((r) => ({ name: r.id, x: r.history.map((h) => h.epoch), y: r.history.map((h) => h[metric] ?? NaN) }));
  return linePlot(series, {
    title,
    xLabel: 'epoch',
    yLabel: metric === 'val_acc' ? 'validation accuracy' : 'validation loss',
    legendAt: metric === 'val_acc' ? 'bottom' : 'top',
    integerX: true,
  });
}

/** Train and validation curves of a few runs (the report's Figure 2: pretrained vs scratch). */
function trainValCurves(runs: { id: string; history: EpochMetrics[] }[], metric: 'loss' | 'acc', title: string): string {
  const series: Series[] = runs.flatMap((r) => {
    const x = r.history.map((h) => h.epoch);
    return [
      { name: `${r.id} train`, x, y: r.history.map((h) => (metric === 'loss' ? h.train_loss : h.train_acc)) },
      { name: `${r.id} val`, x, y: r.history.map((h) => (metric === 'loss' ? h.val_loss : h.val_acc) ?? NaN) },
    ];
  });
  return linePlot(series, {
    title,
    xLabel: 'epoch',
    yLabel: metric === 'loss' ? 'cross-entropy loss' : 'accuracy',
    legendAt: metric === 'loss' ? 'top' : 'bottom',
    integerX: true,
  });
}

export async function run(config: ResnetPretrainConfig, hooks: RunHooks = {}): Promise<StudySummary> {
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
  if (cfg.weights) {
    // Check the file before any training: a bad file should fail now, not after the first variant.
    const probe = new nn.ResNet18({ numClasses: 10, generator: new RandomGenerator(0) });
    try {
      loadBackbone(probe, cfg.weights);
    } finally {
      probe.dispose();
    }
  }
  const log = hooks.log ?? stderrLog;
  const folder = new RunFolder('resnet-pretrain', cfg.out, { force: cfg.force });
  const device = resolveDevice(cfg.device, log);
  manualSeed(cfg.seed);
  const needPretrained = variants.some((v) => v.start === 'pretrained');

  const d: ResnetData = loadResnetData({
    dataset: 'mnist',
    trainLimit: cfg.trainLimit,
    testLimit: cfg.testLimit,
    splitSeed: cfg.seed,
    device,
  });
  folder.writeConfig(
    {
      ...cfg,
      out: folder.dir,
      pretrained_start:
        cfg.weights ??
        (needPretrained
          ? `a ResNet18 trained on ${cfg.pretrain.dataset} in this run (pretrain-${cfg.pretrain.dataset}/best.safetensors)`
          : 'not used'),
      model: 'torchvision resnet18 layout, fc = Linear(512, 10)',
      optimizer: 'Adam (L2 weight decay as torch.optim.Adam)',
      loss: 'cross-entropy',
      kept_checkpoint: 'the epoch with the lowest validation loss; test numbers are of that checkpoint',
      variant_specs: variants,
      data: {
        dataset: 'mnist',
        source: d.source,
        pipeline: 'uint8 -> [0,1] -> bilinear 28->32 -> normalised with the train part mean/std -> 3 channels by replication',
        split: `seeded 80/20 train/val split of the official train set (seed ${cfg.seed}); the official test set`,
        train_images: d.train.n,
        val_images: d.val.n,
        test_images: d.test.n,
        normalization: d.stats,
      },
    },
    device,
  );

  try {
    // The offline pretrained model: ResNet18 on FashionMNIST through the same pipeline.
    let weights = cfg.weights ?? null;
    let pretrainResult: { history: EpochMetrics[]; val_acc: number; test_acc: number; images: number } | null = null;
    if (needPretrained && !weights) {
      log(`pretraining ResNet18 on ${cfg.pretrain.dataset} (${cfg.pretrain.epochs} epochs) for the 'pretrained' start`);
      const fd = loadResnetData({
        dataset: cfg.pretrain.dataset,
        trainLimit: cfg.pretrain.trainLimit,
        testLimit: cfg.pretrain.testLimit,
        splitSeed: cfg.seed,
        device,
      });
      try {
        const { pretrain } = cfg;
        const t = await trainResnet(
          fd,
          { ...pretrain, seed: cfg.seed, init: 'torchvision', shuffle: pretrain.shuffle },
          { device, outDir: folder.sub(`pretrain-${pretrain.dataset}`), log, label: `pretrained on ${pretrain.dataset}`, resumable: true },
        );
        t.model.dispose();
        weights = t.weightsPath;
        pretrainResult = { history: t.history, val_acc: t.val.acc, test_acc: t.test.acc, images: fd.train.n };
        log(`pretrained model: ${fd.dataset} test accuracy ${(100 * t.test.acc).toFixed(2)}%, saved to ${weights}`);
      } finally {
        fd.dispose();
      }
    }

    const results: VariantResult[] = [];
    for (const v of variants) {
      log(`variant ${v.id}: ${v.description}`);
      const t = await trainResnet(
        d,
        {
          ...(v.tuned ? cfg.tuned : cfg.train),
          seed: cfg.seed,
          init: v.init,
          shuffle: v.shuffle,
          weights: v.start === 'pretrained' ? weights : null,
        },
        { device, outDir: folder.sub(v.id), log, label: v.id, resumable: true },
      );
      const { model, ...trained } = t;
      model.dispose();
      results.push({ ...v, trained });
      log(
        `variant ${v.id}: best epoch ${t.bestEpoch}, val accuracy ${(100 * t.val.acc).toFixed(2)}%, test accuracy ${(100 * t.test.acc).toFixed(2)}%`,
      );
    }

    // One metrics.csv for the study (each model's own is in its sub-folder).
    const rows = [
      ...(pretrainResult
        ? pretrainResult.history.map((h) => [`pretrain-${cfg.pretrain.dataset}`, ...METRIC_COLUMNS.map((c) => h[c])])
        : []),
      ...results.flatMap((r) => r.trained.history.map((h) => [r.id, ...METRIC_COLUMNS.map((c) => h[c])])),
    ];
    io.writeCsv(join(folder.dir, 'metrics.csv'), ['variant', ...METRIC_COLUMNS], rows);

    const main = results.filter((r) => r.id === 'scratch' || r.id === 'pretrained');
    const shown = (main.length ? main : results.slice(0, 1)).map((r) => ({ id: r.id, history: r.trained.history }));
    folder.figure('loss_curves', 'Loss per epoch', trainValCurves(shown, 'loss', 'ResNet18 on MNIST: loss (train / validation)'));
    folder.figure(
      'accuracy_curves',
      'Accuracy per epoch',
      trainValCurves(shown, 'acc', 'ResNet18 on MNIST: accuracy (train / validation)'),
    );
    const all = results.map((r) => ({ id: r.id, history: r.trained.history }));
    folder.figure(
      'val_accuracy_all',
      'Validation accuracy of every variant',
      valCurves(all, 'val_acc', 'Validation accuracy per epoch, every variant'),
    );
    folder.figure(
      'val_loss_all',
      'Validation loss of every variant',
      valCurves(all, 'val_loss', 'Validation loss per epoch, every variant'),
    );
    const accs = results.map((r) => 100 * r.trained.test.acc);
    const lo = Math.max(0, Math.floor(Math.min(...accs) - 2));
    folder.figure(
      'test_accuracy',
      'Test accuracy per variant',
      barChart(
        results.map((r) => ({ label: r.id, value: 100 * r.trained.test.acc })),
        {
          title: 'Test accuracy of the kept checkpoint',
          yLabel: 'test accuracy (%)',
          yDomain: [lo, 100],
          highlight: results.findIndex((r) => r.id === 'scratch'),
          format: (x) => x.toFixed(2),
        },
      ),
      `y axis starts at ${lo}%; orange = scratch (the reference)`,
    );
    folder.table('results', {
      title: 'Variants: kept checkpoint (lowest validation loss)',
      columns: [
        'variant',
        'start',
        'init',
        'shuffle',
        'settings',
        'best epoch',
        'val loss',
        'val acc %',
        'test loss',
        'test acc %',
        's/epoch',
      ],
      rows: results.map((r) => [
        r.id,
        r.start,
        r.start === 'pretrained' ? 'weights' : r.init,
        r.shuffle ? 'on' : 'off',
        settingsLabel(r.tuned ? cfg.tuned : cfg.train),
        r.trained.bestEpoch,
        +r.trained.val.loss.toFixed(4),
        pct(r.trained.val.acc),
        +r.trained.test.loss.toFixed(4),
        pct(r.trained.test.acc),
        +r.trained.secondsPerEpoch.toFixed(1),
      ]),
    });
    folder.table('convergence', {
      title: 'Convergence: first epoch whose validation accuracy reaches each threshold ("-": never)',
      columns: ['variant', ...cfg.thresholds.map((t) => `>= ${pct(t)}%`), 'epoch-1 val acc %'],
      rows: results.map((r) => [
        r.id,
        ...cfg.thresholds.map((t) => epochsToReach(r.trained.history, t) ?? '-'),
        pct(r.trained.history[0].val_acc ?? 0),
      ]),
    });

    const headline: Record<string, number | string> = {};
    for (const r of results) headline[`${r.id}_test_accuracy`] = r.trained.test.acc;
    for (const r of results) headline[`${r.id}_epoch1_val_accuracy`] = r.trained.history[0].val_acc ?? NaN;
    if (pretrainResult) headline.pretrain_test_accuracy = pretrainResult.test_acc;
    headline.pretrained_source = cfg.weights ? cfg.weights : pretrainResult ? `nnlab ResNet18 trained on ${cfg.pretrain.dataset}` : 'none';
    headline.train_images = d.train.n;
    headline.images_per_second = results.reduce((s, r) => s + r.trained.imagesPerSecond, 0) / results.length;
    return folder.finish(headline, {
      variants: results.map((r) => ({
        id: r.id,
        description: r.description,
        start: r.start,
        init: r.init,
        shuffle: r.shuffle,
        best_epoch: r.trained.bestEpoch,
        val: r.trained.val,
        test: r.trained.test,
        seconds_per_epoch: r.trained.secondsPerEpoch,
        images_per_second: r.trained.imagesPerSecond,
        weights: r.trained.weightsPath,
        history: r.trained.history,
        epochs_to: Object.fromEntries(cfg.thresholds.map((t) => [String(t), epochsToReach(r.trained.history, t)])),
      })),
      pretrain: pretrainResult,
    });
  } finally {
    d.dispose();
  }
}
