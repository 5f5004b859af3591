// The reduce step of resnet-pretrain: metrics.csv, the figures, the results and convergence tables
// and the headline, from the variants' (and the pretraining's) training results.
import { join } from 'node:path';

import { io, nn } from '../../index.js';
import { METRIC_COLUMNS } from '../../train/metrics-tracker.js';
import type { EpochMetrics } from '../../train/metrics-tracker.js';
import { barChart } from '../../viz/bar-chart.js';
import { curves } from '../../report/figures.js';
import { epochsToReach, ResnetTrainConfig, TrainedResnet } from '../../train/resnet-train.js';
import type { RunFolder, StudySummary } from '../../report/run-folder.js';

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

export type TrainSettings = Omit<ResnetTrainConfig, 'seed' | 'init' | 'shuffle' | 'weights'>;

/** What the report reads of the study's configuration. */
export interface ReportConfig {
  train: TrainSettings;
  tuned: TrainSettings;
  pretrain: { dataset: string };
  weights?: string;
  thresholds: number[];
}

export interface VariantResult extends PretrainVariant {
  trained: Omit<TrainedResnet, 'model'>;
}

export interface PretrainResult {
  history: EpochMetrics[];
  val_acc: number;
  test_acc: number;
  images: number;
}

function settingsLabel(t: TrainSettings): string {
  return `Adam ${t.lr}, batch ${t.batch}, ${t.epochs} epoch${t.epochs === 1 ? '' : 's'}${t.cosine ? ', cosine' : ''}`;
}

function pct(v: number): number {
  return +(100 * v).toFixed(2);
}

/** The report validates on a split of its own, so its curves say "val" where other studies say "test". */
function valSeries(run: string, split: 'train' | 'heldOut'): string {
  return `${run} ${split === 'train' ? 'train' : 'val'}`;
}

/** Writes the study's tables and figures into `folder` and finishes it (summary.json, report.html). */
export function writeResnetPretrainReport(
  folder: RunFolder,
  cfg: ReportConfig,
  results: VariantResult[],
  pretrainResult: PretrainResult | null,
  trainImages: number,
): StudySummary {
  // One metrics.csv for the study (each model's own is in its sub-folder).
  const rows = [
    ...(pretrainResult ? pretrainResult.history.map((h) => [`pretrain-${cfg.pretrain.dataset}`, ...METRIC_COLUMNS.map((c) => h[c])]) : []),
    ...results.flatMap((r) => r.trained.history.map((h) => [r.id, ...METRIC_COLUMNS.map((c) => h[c])])),
  ];
  io.writeCsv(join(folder.dir, 'metrics.csv'), ['variant', ...METRIC_COLUMNS], rows);

  const main = results.filter((r) => r.id === 'scratch' || r.id === 'pretrained');
  const shown = (main.length ? main : results.slice(0, 1)).map((r) => ({ name: r.id, history: r.trained.history }));
  folder.figure(
    'loss_curves',
    'Loss per epoch',
    curves(shown, 'loss', 'ResNet18 on MNIST: loss (train / validation)', { seriesName: valSeries }),
  );
  folder.figure(
    'accuracy_curves',
    'Accuracy per epoch',
    curves(shown, 'acc', 'ResNet18 on MNIST: accuracy (train / validation)', { seriesName: valSeries }),
  );
  // Every variant's validation curve, named by the variant alone.
  const all = results.map((r) => ({ name: r.id, history: r.trained.history }));
  const valOnly = (yLabel: string) => ({ withTrain: false, seriesName: (run: string) => run, yLabel });
  folder.figure(
    'val_accuracy_all',
    'Validation accuracy of every variant',
    curves(all, 'acc', 'Validation accuracy per epoch, every variant', valOnly('validation accuracy')),
  );
  folder.figure(
    'val_loss_all',
    'Validation loss of every variant',
    curves(all, 'loss', 'Validation loss per epoch, every variant', valOnly('validation loss')),
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
  headline.train_images = trainImages;
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
}
