// Study `binary` (seed 002, section 2): two Gaussian clusters, Linear(2,4) TanH Linear(4,1)
// Sigmoid trained by MSE with plain SGD at batch 1; the network after 20 and after 200 epochs.
import { join } from 'node:path';

import { linePlot, Series } from '../viz/line-plot.js';
import { confusionCounts, confusionMatrixSvg } from '../viz/confusion-matrix.js';
import { decisionRegions, regionGridPoints, RegionPoint } from '../viz/decision-regions.js';
import { writeCsv } from '../io/csv.js';
import { tensor } from '../index.js';
import type { nn } from '../index.js';
import type { RunFolder, StudySummary } from '../report/run-folder.js';
import type { BaseConfig, RunHooks } from './shared/common.js';
import { ClusterData, ClusterSpec, disposeClusters, twoClusters } from './shared/seed002-data.js';
import { binaryNet, decide, EpochRow, labelsOf, scores, trainBinary, trainLoader } from './shared/seed002-binary.js';
import { pct, reportVsNnlab, startSynthetic } from './shared/seed002-run.js';

export interface BinaryConfig extends BaseConfig {
  clusters: ClusterSpec;
  lr: number;
  batch: number;
  /** The short and the long run of the report (20 and 200 epochs). */
  shortEpochs: number;
  epochs: number;
  /** Extra data + init seeds trained the same way, to show how typical the main seed's accuracy is. */
  repeats: number;
  /** Cells per side of the decision-region grid. */
  grid: number;
}

export const BINARY_FULL: BinaryConfig = {
  preset: 'full',
  seed: 0,
  device: 'cpu',
  clusters: {
    centres: [
      [1, 2],
      [3, 5],
    ],
    perCluster: 100,
    std: 1,
    testFraction: 0.2,
  },
  lr: 0.01,
  batch: 1,
  shortEpochs: 20,
  epochs: 200,
  repeats: 10,
  grid: 80,
};

// 200 epochs of 160 points is 32k tiny steps: seconds, so the quick preset keeps the report's
// setting and drops only the repeats over other seeds.
export const BINARY_QUICK: BinaryConfig = { ...BINARY_FULL, preset: 'quick', repeats: 0, grid: 60 };

const CLASS_NAMES: [string, string] = ['class 0 (3,5)', 'class 1 (1,2)'];
const REPORT_TEST_ACC_200 = 0.975;

/** The Bayes classifier of two isotropic Gaussians with equal spread: the nearer centre. */
function bayesAccuracy(d: ClusterData, spec: ClusterSpec): number {
  const x = d.test.x.data() as Float32Array,
    y = labelsOf(d.test);
  const [a, b] = spec.centres;
  let right = 0;
  y.forEach((label, i) => {
    const da = (x[2 * i] - a[0]) ** 2 + (x[2 * i + 1] - a[1]) ** 2,
      db = (x[2 * i] - b[0]) ** 2 + (x[2 * i + 1] - b[1]) ** 2;
    right += (da < db ? 1 : 0) === label ? 1 : 0;
  });
  return right / y.length;
}

interface Snapshot {
  epoch: number;
  trainPred: Int32Array;
  testPred: Int32Array;
  gridScore: Float32Array;
}

function domains(d: ClusterData): [[number, number], [number, number]] {
  const all = [...(d.train.x.data() as Float32Array), ...(d.test.x.data() as Float32Array)];
  const xs = all.filter((_, i) => i % 2 === 0),
    ys = all.filter((_, i) => i % 2 === 1);
  const pad = (v: number[]) => [Math.floor(Math.min(...v)) - 0.5, Math.ceil(Math.max(...v)) + 0.5] as [number, number];
  return [pad(xs), pad(ys)];
}

function snapshot(net: nn.Module, d: ClusterData, epoch: number, gridPts: Float32Array): Snapshot {
  const g = tensor(gridPts, [gridPts.length / 2, 2]);
  const s = {
    epoch,
    trainPred: decide(scores(net, d.train.x)),
    testPred: decide(scores(net, d.test.x)),
    gridScore: scores(net, g),
  };
  g.dispose();
  return s;
}

function accuracyOf(pred: Int32Array, y: Int32Array): number {
  return pred.reduce((a, p, i) => a + (p === y[i] ? 1 : 0), 0) / y.length;
}

function drawSnapshot(folder: RunFolder, d: ClusterData, s: Snapshot, dom: [[number, number], [number, number]], grid: number): void {
  const yTrain = labelsOf(d.train),
    yTest = labelsOf(d.test);
  const pts = (split: 'train' | 'test', x: Float32Array, y: Int32Array, pred: Int32Array): RegionPoint[] =>
    Array.from(y, (label, i) => ({
      x: x[2 * i],
      y: x[2 * i + 1],
      label: label as 0 | 1,
      split,
      misclassified: pred[i] !== label,
    }));
  const points = [
    ...pts('train', d.train.x.data() as Float32Array, yTrain, s.trainPred),
    ...pts('test', d.test.x.data() as Float32Array, yTest, s.testPred),
  ];
  folder.figure(
    `decision_regions_${s.epoch}`,
    `Decision regions after ${s.epoch} epochs`,
    decisionRegions({ xDomain: dom[0], yDomain: dom[1], nx: grid, ny: grid, score: s.gridScore }, points, {
      title: `After ${s.epoch} epochs: test ${pct(accuracyOf(s.testPred, yTest))}, train ${pct(accuracyOf(s.trainPred, yTrain))}`,
      xLabel: 'x1',
      yLabel: 'x2',
      classNames: CLASS_NAMES,
    }),
    "circles: train points, triangles: test points; colour = true class; shading = the network's score",
  );
  for (const [split, y, pred] of [
    ['train', yTrain, s.trainPred],
    ['test', yTest, s.testPred],
  ] as const)
    folder.figure(
      `confusion_${split}_${s.epoch}`,
      `${split} confusion matrix after ${s.epoch} epochs`,
      confusionMatrixSvg(confusionCounts(y, pred, 2), CLASS_NAMES, {
        title: `${split === 'train' ? 'Train' : 'Test'} set after ${s.epoch} epochs`,
      }),
    );
}

/** Test accuracy at the end of training for another data + init seed (the robustness repeats). */
async function repeatAccuracy(cfg: BinaryConfig, seed: number): Promise<{ nnlab: number; bayes: number }> {
  const d = twoClusters(cfg.clusters, seed),
    net = binaryNet(seed);
  try {
    const rows = await trainBinary(net, trainLoader(d, cfg.batch, seed), d, cfg.lr, cfg.epochs);
    return { nnlab: rows[rows.length - 1].test_acc, bayes: bayesAccuracy(d, cfg.clusters) };
  } finally {
    net.dispose();
    disposeClusters(d);
  }
}

export async function run(cfg: BinaryConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const { folder, log } = startSynthetic('binary', cfg, hooks, {
    model: 'Linear(2,4) TanH Linear(4,1) Sigmoid',
    loss: 'MSE (mean)',
    optimizer: 'plain SGD (optim.SGD, no momentum)',
    threshold: 0.5,
    runs: `one network trained for ${cfg.epochs} epochs; the ${cfg.shortEpochs}-epoch network is the same run read at epoch ${cfg.shortEpochs} (same init and data order as a separate ${cfg.shortEpochs}-epoch run)`,
  });
  const d = twoClusters(cfg.clusters, cfg.seed);
  const net = binaryNet(cfg.seed);
  try {
    const dom = domains(d);
    const gridPts = regionGridPoints(dom[0], dom[1], cfg.grid, cfg.grid);
    log(`binary: ${d.train.x.shape[0]} train / ${d.test.x.shape[0]} test points; ${cfg.epochs} epochs at batch ${cfg.batch}, lr ${cfg.lr}`);
    const snaps: Snapshot[] = [];
    const rows = await trainBinary(net, trainLoader(d, cfg.batch, cfg.seed), d, cfg.lr, cfg.epochs, (r) => {
      if (r.epoch === cfg.shortEpochs) snaps.push(snapshot(net, d, r.epoch, gridPts));
      if (r.epoch % 20 === 0 || r.epoch === cfg.epochs)
        log(`epoch ${r.epoch}/${cfg.epochs}: train MSE ${r.train_loss.toFixed(4)}, test accuracy ${pct(r.test_acc)}`);
    });
    snaps.push(snapshot(net, d, cfg.epochs, gridPts));
    writeCsv(
      join(folder.dir, 'metrics.csv'),
      ['epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc'],
      rows.map((r) => [r.epoch, r.train_loss, r.train_acc, r.test_loss, r.test_acc]),
    );

    const at = (e: number): EpochRow => rows[e];
    const bayes = bayesAccuracy(d, cfg.clusters);
    const repeats: { nnlab: number; bayes: number }[] = [];
    for (let i = 0; i < cfg.repeats; i++) {
      const r = await repeatAccuracy(cfg, cfg.seed + 1 + i);
      log(`repeat ${i + 1}/${cfg.repeats} (seed ${cfg.seed + 1 + i}): test accuracy ${pct(r.nnlab)} (Bayes classifier ${pct(r.bayes)})`);
      repeats.push(r);
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

    reportVsNnlab(
      folder,
      cfg.preset,
      'Does the 2-4-1 TanH/Sigmoid network separate the two clusters after 200 epochs?',
      [
        { quantity: 'test accuracy before training', report: '27.5% (table 1)', nnlab: pct(at(0).test_acc) },
        {
          quantity: `test accuracy after ${cfg.shortEpochs} epochs`,
          report: 'not converged, many errors (figure 6)',
          nnlab: pct(at(cfg.shortEpochs).test_acc),
        },
        {
          quantity: 'test accuracy after 10 epochs',
          report: '37.5% (table 1)',
          nnlab: pct(at(Math.min(10, cfg.epochs)).test_acc),
        },
        {
          quantity: `test accuracy after ${cfg.epochs} epochs`,
          report: pct(REPORT_TEST_ACC_200),
          nnlab: pct(at(cfg.epochs).test_acc),
        },
        { quantity: 'Bayes classifier (nearer centre) on the same test set', report: '-', nnlab: pct(bayes) },
        ...(repeats.length
          ? [
              {
                quantity: `mean test accuracy over ${repeats.length} other seeds (Bayes: ${pct(mean(repeats.map((r) => r.bayes)))})`,
                report: '-',
                nnlab: `${pct(mean(repeats.map((r) => r.nnlab)))} (${repeats.filter((r) => r.nnlab >= REPORT_TEST_ACC_200).length}/${repeats.length} >= 97.5%)`,
              },
            ]
          : []),
      ],
      `the report's setting, without the ${BINARY_FULL.repeats} repeats over other seeds`,
    );

    const epochs = rows.map((r) => r.epoch);
    const lossSeries: Series[] = [
      { name: 'train MSE', x: epochs, y: rows.map((r) => r.train_loss) },
      { name: 'test MSE', x: epochs, y: rows.map((r) => r.test_loss) },
    ];
    folder.figure(
      'loss_curve',
      'MSE per epoch',
      linePlot(lossSeries, {
        title: 'Binary classifier: MSE per epoch (epoch 0 = before training)',
        xLabel: 'epoch',
        yLabel: 'MSE',
        integerX: true,
      }),
      `the ${cfg.shortEpochs}-epoch network is this run at epoch ${cfg.shortEpochs}`,
    );
    folder.figure(
      'accuracy_curve',
      'Accuracy per epoch',
      linePlot(
        [
          { name: 'train', x: epochs, y: rows.map((r) => r.train_acc) },
          { name: 'test', x: epochs, y: rows.map((r) => r.test_acc) },
        ],
        {
          title: 'Binary classifier: accuracy per epoch',
          xLabel: 'epoch',
          yLabel: 'accuracy',
          yDomain: [0, 1],
          legendAt: 'bottom',
          integerX: true,
        },
      ),
    );
    for (const s of snaps) drawSnapshot(folder, d, s, dom, cfg.grid);

    return folder.finish(
      {
        test_accuracy_200: at(cfg.epochs).test_acc,
        train_accuracy_200: at(cfg.epochs).train_acc,
        test_accuracy_20: at(cfg.shortEpochs).test_acc,
        test_accuracy_0: at(0).test_acc,
        bayes_test_accuracy: bayes,
        test_mse_200: at(cfg.epochs).test_loss,
        epochs: cfg.epochs,
        ...(repeats.length && {
          repeats_mean_test_accuracy: mean(repeats.map((r) => r.nnlab)),
          repeats_at_least_975: repeats.filter((r) => r.nnlab >= REPORT_TEST_ACC_200).length,
        }),
      },
      { history: rows },
    );
  } finally {
    net.dispose();
    disposeClusters(d);
  }
}
