// Study `mlp` (seed 002, section 4): MNIST 784 -> 100 sigmoid -> 10 softmax trained by
// cross-entropy on 10k images, batch 100, plain SGD at lr 1e-4 for 500 epochs, and the same
// network with Adam for comparison; loss curves, probability vectors of sample test images
// before and after training, test accuracy.
import { join } from 'node:path';

import { RandomGenerator, nn, noGrad, ops, optim, tidy } from '../index.js';
import type { Tensor } from '../index.js';
import { writeCsv } from '../io/csv.js';
import { linePlot } from '../viz/line-plot.js';
import { probabilityBars } from '../viz/probability-bars.js';
import { imageGrid } from '../viz/image-grid.js';
import type { StudySummary } from '../report/run-folder.js';
import { FULL_PRESET } from './shared/common.js';
import type { BaseConfig, RunHooks } from './shared/common.js';
import { trainMinibatches } from './shared/minibatch-loop.js';
import { addReportTable, FlatSplit, loadFlatImages, startPlainRun } from './shared/seed002-networks-run.js';

export interface MlpConfig extends BaseConfig {
  hidden: number;
  epochs: number;
  batch: number;
  /** Plain SGD's learning rate. */
  lr: number;
  /**
   * The report's library sums the cross-entropy over the batch (its gradients are not divided by
   * the batch size); with a mean, lr 1e-4 for 500 epochs would barely move the weights.
   */
  reduction: 'sum' | 'mean';
  /** The Adam comparison (same network, data and reduction); null = none. */
  adam: { lr: number } | null;
  /** Test images whose probability vectors are drawn before and after training. */
  samples: number[];
}

export const MLP_FULL: MlpConfig = {
  ...FULL_PRESET,
  trainLimit: 10000,
  hidden: 100,
  epochs: 500,
  batch: 100,
  lr: 1e-4,
  reduction: 'sum',
  adam: { lr: 1e-4 },
  samples: [0, 1, 2, 3, 4, 7, 8, 9, 11, 12],
};

// 10 epochs at lr 1e-4 would leave the net near chance: the quick preset takes 10x the rate.
export const MLP_QUICK: MlpConfig = { ...MLP_FULL, preset: 'quick', epochs: 10, lr: 1e-3, adam: { lr: 1e-3 } };

function buildMlp(cfg: MlpConfig, seed: number): nn.Sequential {
  const g = new RandomGenerator(seed);
  return new nn.Sequential(
    new nn.Linear(784, cfg.hidden, { generator: g }),
    new nn.Sigmoid(),
    new nn.Linear(cfg.hidden, 10, { generator: g }),
  );
}

interface Scores {
  accuracy: number;
  loss: number;
}

function score(model: nn.Module, split: FlatSplit): Scores {
  return tidy(() =>
    noGrad(() => {
      const logits = model.forward(split.x);
      const pred = ops.argmax(logits, 1).data() as Int32Array;
      let right = 0;
      for (let i = 0; i < split.n; i++) right += pred[i] === split.labels[i] ? 1 : 0;
      return { accuracy: right / split.n, loss: ops.crossEntropy(logits, split.y).item() };
    }),
  );
}

function sampleProbs(model: nn.Module, split: FlatSplit, samples: number[]): Float32Array[] {
  return tidy(() =>
    noGrad(() => {
      const idx = ops.tensor(Int32Array.from(samples), [samples.length], { dtype: 'int32', device: split.x.device });
      const p = ops.softmax(model.forward(ops.indexSelect(split.x, 0, idx)), 1).data() as Float32Array;
      return samples.map((_, i) => p.slice(i * 10, i * 10 + 10));
    }),
  );
}

interface Trained {
  name: string;
  losses: number[];
  test: number[];
  before: Float32Array[];
  after: Float32Array[];
  final: { train: Scores; test: Scores };
  secondsPerEpoch: number;
}

export async function run(cfg: MlpConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const ctx = startPlainRun('mlp', cfg, hooks, {
    model: `Linear(784,${cfg.hidden}) Sigmoid Linear(${cfg.hidden},10), softmax cross-entropy (${cfg.reduction} over the batch)`,
    data: {
      dataset: 'mnist',
      train_images: cfg.trainLimit,
      test_images: cfg.testLimit ?? 10000,
      pixels: '[0, 1], not normalised',
    },
  });
  const { folder, log } = ctx;
  const mnist = loadFlatImages('mnist', { trainLimit: cfg.trainLimit, testLimit: cfg.testLimit, device: ctx.device });
  const samples = cfg.samples.filter((i) => i < mnist.test.n);
  const evalEvery = Math.max(1, Math.round(cfg.epochs / 50));
  try {
    const runs: Trained[] = [];
    const ways: [string, (p: Iterable<Tensor>) => optim.Optimizer][] = [['SGD', (p) => new optim.SGD(p, { lr: cfg.lr })]];
    if (cfg.adam) ways.push(['Adam', (p) => new optim.Adam(p, { lr: cfg.adam!.lr })]);
    for (const [name, makeOptimizer] of ways) {
      // Both optimizers start from the same weights and see the same batches.
      const model = buildMlp(cfg, cfg.seed).to(ctx.device);
      const optimizer = makeOptimizer(model.parameters());
      const before = sampleProbs(model, mnist.test, samples);
      const test: number[] = [];
      const progress = ctx.epochProgress(name, cfg.epochs, Math.max(1, Math.round(cfg.epochs / 10)));
      log(`training 784-${cfg.hidden}-10 with ${name} for ${cfg.epochs} epochs on ${mnist.train.n} images (batch ${cfg.batch})`);
      const r = await trainMinibatches(mnist.train.x, mnist.train.y, {
        epochs: cfg.epochs,
        batch: cfg.batch,
        seed: cfg.seed,
        optimizer,
        reduction: cfg.reduction,
        loss: (x, y) => ops.crossEntropy(model.forward(x), y, { reduction: cfg.reduction }),
        onEpoch: async (e, loss) => {
          if ((e + 1) % evalEvery === 0 || e + 1 === cfg.epochs) test.push(score(model, mnist.test).accuracy);
          await progress(e, loss);
        },
      });
      runs.push({
        name,
        losses: r.losses,
        test,
        before,
        after: sampleProbs(model, mnist.test, samples),
        secondsPerEpoch: r.secondsPerEpoch,
        final: { train: score(model, mnist.train), test: score(model, mnist.test) },
      });
      optimizer.dispose();
      model.dispose();
    }

    const epochs = Array.from({ length: cfg.epochs }, (_, i) => i + 1);
    const evalEpochs = epochs.filter((e) => e % evalEvery === 0 || e === cfg.epochs);
    writeCsv(
      join(folder.dir, 'metrics.csv'),
      ['epoch', ...runs.flatMap((r) => [`${r.name}_train_loss`, `${r.name}_test_acc`])],
      epochs.map((e) => [e, ...runs.flatMap((r) => [r.losses[e - 1], r.test[evalEpochs.indexOf(e)]])]),
    );
    folder.figure(
      'loss_curve',
      'Cross-entropy per epoch',
      linePlot(
        runs.map((r) => ({ name: `${r.name} lr ${r.name === 'SGD' ? cfg.lr : cfg.adam!.lr}`, x: epochs, y: r.losses })),
        {
          title: 'MLP 784-100-10: training cross-entropy per image',
          xLabel: 'epoch',
          yLabel: 'cross-entropy',
          integerX: true,
        },
      ),
      "mean over the epoch of the per-image loss (the report's figure 13)",
    );
    folder.figure(
      'test_accuracy',
      'Test accuracy during training',
      linePlot(
        runs.map((r) => ({ name: r.name, x: evalEpochs, y: r.test })),
        {
          title: 'MLP 784-100-10: test accuracy',
          xLabel: 'epoch',
          yLabel: 'accuracy',
          legendAt: 'bottom',
          integerX: true,
        },
      ),
    );
    folder.figure(
      'sample_images',
      'Sample test images',
      imageGrid(
        samples.map((i) => ({
          pixels: mnist.test.pixels.subarray(i * 784, (i + 1) * 784),
          caption: [`#${i} y=${mnist.test.labels[i]}`],
        })),
        { h: 28, w: 28, bytes: true, scale: 3, columns: 10, title: 'The test images of the prediction figures' },
      ),
    );
    const panels = (p: Float32Array[]) =>
      samples.map((i, k) => ({ title: `#${i} y=${mnist.test.labels[i]}`, probs: p[k], truth: mnist.test.labels[i] }));
    const sgd = runs[0];
    folder.figure(
      'predictions_before',
      'Predictions before training',
      probabilityBars(panels(sgd.before), { title: 'Model predictions on test images after 0 epochs' }),
      'red = true class',
    );
    for (const r of runs)
      folder.figure(
        `predictions_after_${r.name.toLowerCase()}`,
        `Predictions after ${cfg.epochs} epochs (${r.name})`,
        probabilityBars(panels(r.after), {
          title: `Model predictions on test images after ${cfg.epochs} epochs (${r.name})`,
        }),
        'red = true class',
      );

    const correct = (p: Float32Array[]) => samples.filter((i, k) => argmaxOf(p[k]) === mnist.test.labels[i]).length;
    const tail = Math.max(1, Math.floor(cfg.epochs / 10));
    const lastChange = (l: number[]) => (l[l.length - 1 - tail] - l[l.length - 1]) / l[l.length - 1 - tail];
    addReportTable(folder, cfg.preset, [
      {
        quantity: 'setting',
        report: '784-100(sigmoid)-10(softmax), CE, 10k train images, batch 100, lr 1e-4, 500 epochs',
        nnlab: `784-${cfg.hidden}-10, CE (${cfg.reduction}), ${mnist.train.n} images, batch ${cfg.batch}, lr ${cfg.lr}, ${cfg.epochs} epochs`,
      },
      {
        quantity: 'sample predictions correct after training',
        report: '5 of 5 shown',
        nnlab: `${correct(sgd.after)} of ${samples.length} (SGD)`,
      },
      {
        quantity: 'prediction vectors before training',
        report: '"totally random"',
        nnlab: `max probability ${Math.max(...sgd.before.map((p) => Math.max(...p))).toFixed(3)} (near uniform 0.1)`,
      },
      {
        quantity: 'CE loss at the end',
        report: 'converged by 500 epochs (figure 13)',
        nnlab: `${sgd.losses.at(-1)!.toFixed(4)}; fell ${(100 * lastChange(sgd.losses)).toFixed(1)}% over the last ${tail} epochs`,
      },
      {
        quantity: 'test accuracy',
        report: 'not given',
        nnlab: runs.map((r) => `${r.name} ${(100 * r.final.test.accuracy).toFixed(2)}%`).join(', '),
      },
    ]);
    folder.table('scores', {
      title: 'Final scores',
      columns: ['optimizer', 'lr', 'train CE', 'train acc', 'test CE', 'test acc', 's/epoch'],
      rows: runs.map((r) => [
        r.name,
        r.name === 'SGD' ? cfg.lr : cfg.adam!.lr,
        +r.final.train.loss.toFixed(4),
        +r.final.train.accuracy.toFixed(4),
        +r.final.test.loss.toFixed(4),
        +r.final.test.accuracy.toFixed(4),
        +r.secondsPerEpoch.toFixed(4),
      ]),
    });

    const adam = runs.find((r) => r.name === 'Adam');
    return folder.finish({
      sgd_test_accuracy: sgd.final.test.accuracy,
      sgd_train_loss: sgd.losses.at(-1)!,
      ...(adam && { adam_test_accuracy: adam.final.test.accuracy, adam_train_loss: adam.losses.at(-1)! }),
      samples_correct_after: correct(sgd.after),
      samples: samples.length,
      epochs: cfg.epochs,
      train_images: mnist.train.n,
      sgd_seconds_per_epoch: sgd.secondsPerEpoch,
    });
  } finally {
    mnist.dispose();
  }
}

function argmaxOf(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}
