// Study `dropout` (seed 003, section 1): PyTorch's MNIST example network trained in four setups
// (normal; inverted = trained on the 10k test split and evaluated on the 60k train split; each
// with and without its two Dropout layers), with the train and test loss of every epoch, each
// setup alone and all overlaid, and the generalisation gap.
import { data, fit, RandomGenerator, nn, optim } from '../index.js';
import type { MnistSplit } from '../data/mnist.js';
import type { EpochMetrics } from '../train/metrics-tracker.js';
import { linePlot } from '../viz/line-plot.js';
import type { StudySummary } from '../report/run-folder.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import { writeHistoriesCsv } from './shared/histories-csv.js';
import { describeSetups, overfitting, Overfitting, reportVsNnlab } from './shared/dropout-findings.js';

export interface DropoutNetShape {
  /** Output channels of the two 3x3 convolutions (PyTorch's example: 32, 64). */
  channels: [number, number];
  /** Width of the hidden fully connected layer (PyTorch's example: 128). */
  hidden: number;
}

export interface DropoutConfig extends BaseConfig {
  net: DropoutNetShape;
  epochs: number;
  batch: number;
  lr: number;
}

export const DROPOUT_FULL: DropoutConfig = {
  ...FULL_PRESET,
  net: { channels: [32, 64], hidden: 128 },
  epochs: 14,
  batch: 64,
  lr: 1e-3,
};

// Quick: a narrower network on the first 2000 / 1000 images, so that four setups train in seconds.
export const DROPOUT_QUICK: DropoutConfig = quickPreset(DROPOUT_FULL, 2000, 1000, {
  net: { channels: [8, 16], hidden: 64 },
  epochs: 12,
});

export interface Setup {
  name: string;
  inverted: boolean;
  dropout: boolean;
}

export const SETUPS: Setup[] = [
  { name: 'normal', inverted: false, dropout: true },
  { name: 'inverted', inverted: true, dropout: true },
  { name: 'no-dropout', inverted: false, dropout: false },
  { name: 'inverted-no-dropout', inverted: true, dropout: false },
];

/**
 * PyTorch's examples/mnist `Net`: Conv(1->32,3x3) ReLU Conv(32->64,3x3) ReLU MaxPool2 Dropout(0.25)
 * Flatten Linear(9216->128) ReLU Dropout(0.5) Linear(->10); without dropout the two Dropout layers
 * become identities.
 */
export function dropoutNet(shape: DropoutNetShape, withDropout: boolean, generator: RandomGenerator): nn.Sequential {
  const [c1, c2] = shape.channels;
  const drop = (p: number) => (withDropout ? new nn.Dropout(p, generator) : new nn.Identity());
  return new nn.Sequential(
    new nn.Conv2d(1, c1, 3, { generator }),
    new nn.ReLU(),
    new nn.Conv2d(c1, c2, 3, { generator }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    drop(0.25),
    new nn.Flatten(),
    new nn.Linear(c2 * 12 * 12, shape.hidden, { generator }),
    new nn.ReLU(),
    drop(0.5),
    new nn.Linear(shape.hidden, 10, { generator }),
  );
}

interface SetupResult extends Setup, Overfitting {
  history: EpochMetrics[];
  trainImages: number;
  evalImages: number;
  secondsPerEpoch: number;
}

async function trainSetup(
  s: Setup,
  train: MnistSplit,
  test: MnistSplit,
  cfg: DropoutConfig,
  dir: string,
  log: (l: string) => void,
): Promise<SetupResult> {
  const generator = new RandomGenerator(cfg.seed);
  const model = dropoutNet(cfg.net, s.dropout, generator);
  const opt = new optim.Adam(model.parameters(), { lr: cfg.lr });
  const trainLoader = new data.DataLoader(data.tensorDataset(train.x, train.y), {
    batchSize: cfg.batch,
    shuffle: true,
    seed: cfg.seed,
  });
  const evalLoader = new data.DataLoader(data.tensorDataset(test.x, test.y), { batchSize: 1000 });
  log(`setup ${s.name}: ${s.dropout ? 'with' : 'without'} dropout, training on ${train.n} images, evaluating on ${test.n}`);
  const r = await fit(model, trainLoader, {
    epochs: cfg.epochs,
    optimizer: opt,
    val: evalLoader,
    outDir: dir,
    log,
    generator,
  });
  opt.dispose();
  model.dispose();
  return {
    ...s,
    ...overfitting(r.history),
    history: r.history,
    trainImages: train.n,
    evalImages: test.n,
    secondsPerEpoch: r.secondsPerEpoch,
  };
}

const lossSeries = (r: SetupResult, which: 'train' | 'test', prefix = '') => ({
  name: `${prefix}${which}`,
  x: r.history.map((h) => h.epoch),
  y: r.history.map((h) => (which === 'train' ? h.train_loss : (h.val_loss ?? NaN))),
});

const lossPlot = (series: ReturnType<typeof lossSeries>[], title: string) =>
  linePlot(series, { title, xLabel: 'epoch', yLabel: 'cross-entropy loss', integerX: true });

export async function run(cfg: DropoutConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const { folder, mnist, log } = startRun('dropout', cfg, hooks, {
    model: `PyTorch examples/mnist Net: Conv(1->${cfg.net.channels[0]},3x3) ReLU Conv(->${cfg.net.channels[1]},3x3) ReLU MaxPool2 Dropout(0.25) Flatten Linear(->${cfg.net.hidden}) ReLU Dropout(0.5) Linear(->10)`,
    optimizer: 'Adam, constant learning rate (the example uses Adadelta lr 1 with a 0.7 step decay, which nnlab does not ship)',
    losses:
      "train loss = mean over the epoch's batches in training mode (dropout active), as the report plotted; test loss = mean over the evaluation split after the epoch",
    setups: SETUPS,
  });
  try {
    const results: SetupResult[] = [];
    for (const s of SETUPS) {
      const [train, test] = s.inverted ? [mnist.test, mnist.train] : [mnist.train, mnist.test];
      results.push(await trainSetup(s, train, test, cfg, folder.sub(s.name), log));
    }
    writeHistoriesCsv(folder.dir, 'setup', results);

    folder.table('report_vs_nnlab', reportVsNnlab(results, cfg.preset));
    folder.table('overfitting', {
      title: 'Generalisation per setup (losses in nats; gap = test - train loss at the last epoch)',
      columns: [
        'setup',
        'train images',
        'test images',
        'final train loss',
        'final test loss',
        'gap',
        'best test loss (epoch)',
        'test-loss rise after best',
        'final test acc',
      ],
      rows: results.map((r) => [
        r.name,
        r.trainImages,
        r.evalImages,
        +r.finalTrain.toFixed(4),
        +r.finalTest.toFixed(4),
        +r.gap.toFixed(4),
        `${r.bestTest.toFixed(4)} (${r.bestEpoch})`,
        +r.rise.toFixed(4),
        +r.finalTestAcc.toFixed(4),
      ]),
    });
    folder.table('findings', {
      title: 'What the curves show (computed from this run)',
      columns: ['setup', 'finding'],
      rows: describeSetups(results),
    });
    for (const r of results)
      folder.figure(
        `loss_${r.name}`,
        `Loss per epoch: ${r.name}`,
        lossPlot([lossSeries(r, 'train'), lossSeries(r, 'test')], `${r.name}: train and test loss`),
        `${r.inverted ? 'trained on the test split, evaluated on the train split' : 'trained on the train split, evaluated on the test split'}, ${r.dropout ? 'with' : 'without'} dropout`,
      );
    folder.figure(
      'train_loss_overlaid',
      'Train loss of the four setups',
      lossPlot(
        results.map((r) => lossSeries(r, 'train', `${r.name} `)),
        'Train loss, all setups',
      ),
    );
    folder.figure(
      'test_loss_overlaid',
      'Test loss of the four setups',
      lossPlot(
        results.map((r) => lossSeries(r, 'test', `${r.name} `)),
        'Test loss, all setups',
      ),
    );
    folder.figure(
      'all_losses_overlaid',
      'Train and test loss of the four setups',
      lossPlot(
        results.flatMap((r) => [lossSeries(r, 'train', `${r.name} `), lossSeries(r, 'test', `${r.name} `)]),
        'Train and test loss, all setups',
      ),
    );
    folder.figure(
      'generalisation_gap',
      'Generalisation gap per epoch',
      linePlot(
        results.map((r) => ({
          name: r.name,
          x: r.history.map((h) => h.epoch),
          y: r.history.map((h) => (h.val_loss ?? NaN) - h.train_loss),
        })),
        { title: 'Test loss - train loss', xLabel: 'epoch', yLabel: 'gap (nats)', integerX: true },
      ),
    );

    const headline: Record<string, number | string> = { preset: cfg.preset, epochs: cfg.epochs };
    for (const r of results) {
      headline[`${r.name}_final_test_loss`] = r.finalTest;
      headline[`${r.name}_gap`] = r.gap;
      headline[`${r.name}_test_loss_rise`] = r.rise;
      headline[`${r.name}_test_accuracy`] = r.finalTestAcc;
    }
    return folder.finish(headline, { setups: results.map(({ history, ...rest }) => ({ ...rest, history })) });
  } finally {
    mnist.dispose();
  }
}
