// Study `autoencoder` (seed 002, section 5): FashionMNIST (10k images, 80/20 split), encoder
// 784-128-32-2 and its mirror decoder, TanH between layers and a final Sigmoid, MSE, plain SGD at
// lr 0.5, batch 2048; reconstructions after 0 and N epochs, Gaussian input noise and the
// MSE-vs-noise curve, and the 2-D latent codes of the test images by group and by class.
import { join } from 'node:path';

import { data, RandomGenerator, nn, noGrad, ops, optim, tidy } from '../index.js';
import type { Tensor } from '../index.js';
import { writeCsv } from '../io/csv.js';
import { imageGrid } from '../viz/image-grid.js';
import { linePlot } from '../viz/line-plot.js';
import { scatterPlot } from '../viz/scatter.js';
import type { StudySummary } from '../report/run-folder.js';
import { FULL_PRESET } from './shared/common.js';
import type { BaseConfig, RunHooks } from './shared/common.js';
import { trainMinibatches } from './shared/minibatch-loop.js';
import { FASHION_CLASSES } from './shared/ood-data.js';
import { addReportTable, loadFlatImages, startPlainRun } from './shared/seed002-networks-run.js';

export interface AutoencoderConfig extends BaseConfig {
  /** Encoder widths after the 784 inputs, the last one the latent size; the decoder mirrors them. */
  widths: number[];
  epochs: number;
  batch: number;
  lr: number;
  /** Fraction of the trainLimit images held out as the test set (the report's 80/20 split). */
  testFraction: number;
  /** Noise scales c of the MSE-vs-noise curve (pixels + N(0, c^2)); the report shows 0.1, 0.5, 1. */
  noise: number[];
  /** Test images shown in the reconstruction grids. */
  shown: number;
}

export const AUTOENCODER_FULL: AutoencoderConfig = {
  ...FULL_PRESET,
  trainLimit: 10000,
  widths: [128, 32, 2],
  epochs: 2000,
  batch: 2048,
  lr: 0.5,
  testFraction: 0.2,
  noise: [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1],
  shown: 12,
};

// The report's lr 0.5 needs hundreds of epochs of 4 steps to leave the mean-image plateau: the
// quick preset takes smaller batches (more steps per epoch) and a 20x rate on half the images,
// which reaches the plateau within a few epochs and leaves it within about ten.
export const AUTOENCODER_QUICK: AutoencoderConfig = {
  ...AUTOENCODER_FULL,
  preset: 'quick',
  trainLimit: 5000,
  epochs: 25,
  batch: 256,
  lr: 10,
  shown: 10,
};

/** The report's groups of table 4 (tops, bottoms, shoes, bags) by FashionMNIST class. */
export const FASHION_GROUPS = ['tops', 'bottoms', 'shoes', 'bags'];
const GROUP_OF_CLASS = [0, 1, 0, 0, 0, 2, 0, 2, 3, 2];

function buildAutoencoder(widths: number[], seed: number): { encoder: nn.Sequential; decoder: nn.Sequential; model: nn.Sequential } {
  const g = new RandomGenerator(seed);
  const stack = (sizes: number[], last: nn.Module | null) =>
    new nn.Sequential(
      ...sizes.slice(1).flatMap((out, i) => {
        const layer: nn.Module[] = [new nn.Linear(sizes[i], out, { generator: g })];
        if (i < sizes.length - 2) layer.push(new nn.Tanh());
        else if (last) layer.push(last);
        return layer;
      }),
    );
  const sizes = [784, ...widths];
  const encoder = stack(sizes, null);
  const decoder = stack([...sizes].reverse(), new nn.Sigmoid());
  return { encoder, decoder, model: new nn.Sequential(encoder, decoder) };
}

export async function run(cfg: AutoencoderConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const sizes = [784, ...cfg.widths];
  const ctx = startPlainRun('autoencoder', cfg, hooks, {
    model: `encoder ${sizes.join('-')} (TanH between layers), decoder ${[...sizes].reverse().join('-')} (TanH between, Sigmoid last)`,
    loss: 'MSE, mean over every pixel of the batch (torch.nn.MSELoss)',
    optimizer: 'plain SGD',
    data: {
      dataset: 'fashion',
      images: cfg.trainLimit,
      split: `${1 - cfg.testFraction}/${cfg.testFraction}, shuffled with the seed`,
      pixels: '[0, 1]',
    },
  });
  const { folder, log } = ctx;
  // The report splits its 10k FashionMNIST train images itself; the official test split is not used.
  const fashion = loadFlatImages('fashion', { trainLimit: cfg.trainLimit, testLimit: 1, device: ctx.device });
  const [train, test] = data.randomSplit(data.tensorDataset(fashion.train.x, fashion.train.y), cfg.testFraction, cfg.seed);
  fashion.dispose();
  const { encoder, model } = buildAutoencoder(cfg.widths, cfg.seed);
  model.to(ctx.device);
  try {
    const nTrain = train.x.shape[0],
      nTest = test.x.shape[0];
    const testLabels = Int32Array.from(test.y.data() as Int32Array);
    const shown = Math.min(cfg.shown, nTest);
    const reconstruct = (x: Tensor) => tidy(() => noGrad(() => model.forward(x).data() as Float32Array));
    const testMse = (x: Tensor, target = test.x) => tidy(() => noGrad(() => nn.mseLoss(model.forward(x), target).item()));
    const firstShown = data.rowsOf(test.x, 0, shown);
    const before = reconstruct(firstShown);
    const batches = Math.ceil(nTrain / cfg.batch);
    const meanImageMse = tidy(() => nn.mseLoss(ops.expand(ops.mean(train.x, 0, true), train.x.shape), train.x).item());

    log(
      `training the ${sizes.join('-')} autoencoder for ${cfg.epochs} epochs on ${nTrain} FashionMNIST images (batch ${cfg.batch}, lr ${cfg.lr})`,
    );
    const optimizer = new optim.SGD(model.parameters(), { lr: cfg.lr });
    const progress = ctx.epochProgress('autoencoder', cfg.epochs, Math.max(1, Math.round(cfg.epochs / 20)));
    const evalEvery = Math.max(1, Math.round(cfg.epochs / 100));
    const testCurve: { epoch: number; mse: number }[] = [];
    const r = await trainMinibatches(train.x, train.x, {
      epochs: cfg.epochs,
      batch: cfg.batch,
      seed: cfg.seed,
      optimizer,
      reduction: 'mean',
      loss: (x, target) => nn.mseLoss(model.forward(x), target),
      onEpoch: async (e, loss) => {
        if ((e + 1) % evalEvery === 0 || e + 1 === cfg.epochs) testCurve.push({ epoch: e + 1, mse: testMse(test.x) });
        await progress(e, loss);
      },
    });
    optimizer.dispose();
    const after = reconstruct(firstShown);
    const finalTest = testCurve.at(-1)!.mse;

    const epochs = r.losses.map((_, i) => i + 1);
    writeCsv(
      join(folder.dir, 'metrics.csv'),
      ['epoch', 'train_mse_per_pixel', 'sum_of_batch_mse', 'test_mse_per_pixel'],
      epochs.map((e) => [e, r.losses[e - 1], r.batchLossSums[e - 1], testCurve.find((t) => t.epoch === e)?.mse]),
    );
    folder.figure(
      'loss_curve',
      "MSE per epoch, in the report's units",
      linePlot(
        [
          { name: `sum of the ${batches} batch MSEs (report's figure 18)`, x: epochs, y: r.batchLossSums },
          {
            name: `mean image: ${batches} x ${meanImageMse.toFixed(4)}`,
            x: [1, cfg.epochs],
            y: [batches * meanImageMse, batches * meanImageMse],
          },
        ],
        {
          title: 'Autoencoder: training loss per epoch',
          xLabel: 'epoch',
          yLabel: "sum over the epoch's batches of the per-pixel MSE",
          integerX: true,
        },
      ),
      `each batch's loss is the mean over its pixels; the report's curve adds the ${batches} batches of an epoch (its plateau 0.35 = ${batches} x the MSE of always predicting the mean image)`,
    );
    folder.figure(
      'mse_per_pixel',
      'Train and test MSE per pixel',
      linePlot(
        [
          { name: 'train', x: epochs, y: r.losses },
          { name: 'test', x: testCurve.map((t) => t.epoch), y: testCurve.map((t) => t.mse) },
        ],
        { title: 'Autoencoder: MSE per pixel', xLabel: 'epoch', yLabel: 'MSE per pixel', integerX: true },
      ),
    );

    const grid = (rows: { label: string; px: Float32Array }[], title: string) =>
      imageGrid(
        rows.flatMap((row) =>
          Array.from({ length: shown }, (_, i) => ({
            pixels: row.px.subarray(i * 784, (i + 1) * 784),
            caption: [i === 0 ? row.label : '', row.label === 'input' ? FASHION_CLASSES[testLabels[i]] : ''],
          })),
        ),
        { h: 28, w: 28, scale: 2, columns: shown, title },
      );
    const originals = firstShown.data() as Float32Array;
    folder.figure(
      'reconstructions_epoch0',
      'Reconstructions after 0 epochs',
      grid(
        [
          { label: 'input', px: originals },
          { label: 'output', px: before },
        ],
        'Test images (top) and reconstructions after 0 epochs',
      ),
    );
    folder.figure(
      'reconstructions_final',
      `Reconstructions after ${cfg.epochs} epochs`,
      grid(
        [
          { label: 'input', px: originals },
          { label: 'output', px: after },
        ],
        `Test images (top) and reconstructions after ${cfg.epochs} epochs`,
      ),
    );

    // Noise: pixels + N(0, c^2), not clipped (the report's add_noise). The report does not say
    // what its MSE compares the reconstruction with: both the clean and the noisy image are kept.
    const noiseGen = new RandomGenerator(cfg.seed + 1);
    const noisy = cfg.noise.map((c) => {
      const scaled = tidy(() =>
        (c === 0
          ? ops.clone(test.x)
          : ops.add(test.x, ops.normal(test.x.shape, 0, c, { generator: noiseGen, device: test.x.device }))
        ).keep(),
      );
      const mse = testMse(scaled),
        mseVsInput = testMse(scaled, scaled);
      const shownIn = Float32Array.from(data.rowsOf(scaled, 0, shown).data() as Float32Array);
      const shownOut = reconstruct(data.rowsOf(scaled, 0, shown));
      scaled.dispose();
      return { c, mse, mseVsInput, shownIn, shownOut };
    });
    folder.figure(
      'mse_vs_noise',
      'MSE vs noise scale',
      linePlot(
        [
          { name: 'reconstruction vs clean image', x: cfg.noise, y: noisy.map((v) => v.mse) },
          { name: 'reconstruction vs noisy input', x: cfg.noise, y: noisy.map((v) => v.mseVsInput) },
        ],
        {
          title: 'Autoencoder: reconstruction MSE vs input noise',
          xLabel: 'noise scale c (pixels + N(0, c^2))',
          yLabel: 'MSE per pixel',
          legendAt: 'top',
        },
      ),
      "the report's figure 20: test MSE per pixel",
    );
    const reportScales = noisy.filter((v) => [0.1, 0.5, 1].includes(v.c));
    if (reportScales.length)
      folder.figure(
        'noise_reconstructions',
        'Reconstructions of noisy inputs',
        grid(
          reportScales.flatMap((v) => [
            { label: `c=${v.c} in`, px: v.shownIn },
            { label: `c=${v.c} out`, px: v.shownOut },
          ]),
          "Noisy test images and their reconstructions (report's figure 19)",
        ),
      );

    const codes = tidy(() => noGrad(() => encoder.forward(test.x).data() as Float32Array));
    const zx = Float32Array.from({ length: nTest }, (_, i) => codes[2 * i]),
      zy = Float32Array.from({ length: nTest }, (_, i) => codes[2 * i + 1]);
    if (cfg.widths.at(-1) === 2) {
      folder.figure(
        'latent_groups',
        'Latent codes by group',
        scatterPlot(
          zx,
          zy,
          testLabels.map((c) => GROUP_OF_CLASS[c]),
          FASHION_GROUPS,
          {
            title: `2-D latent codes of the ${nTest} test images by group`,
            xLabel: 'z1',
            yLabel: 'z2',
          },
        ),
        "the report's table 4 groups and figure 21",
      );
      folder.figure(
        'latent_classes',
        'Latent codes by class',
        scatterPlot(zx, zy, testLabels, FASHION_CLASSES, {
          title: `2-D latent codes of the ${nTest} test images by class`,
          xLabel: 'z1',
          yLabel: 'z2',
        }),
      );
    }
    const separation = groupSeparation(zx, zy, testLabels);

    const plotted = r.batchLossSums.at(-1)!;
    const plateauEpochs = r.batchLossSums.filter((v) => Math.abs(v - batches * meanImageMse) < 0.02 * batches * meanImageMse).length;
    const at = (c: number) => {
      const v = noisy.find((n) => n.c === c);
      return v ? `${v.mse.toFixed(4)} / ${v.mseVsInput.toFixed(3)}` : '-';
    };
    addReportTable(folder, cfg.preset, [
      {
        quantity: 'setting',
        report: '784-?-?-2 + mirror, TanH, Sigmoid, MSE, lr 0.5, batch 2048, 2000 epochs, 10k images (8000 train)',
        nnlab: `${sizes.join('-')} + mirror, ${nTrain} train / ${nTest} test, lr ${cfg.lr}, batch ${cfg.batch}, ${cfg.epochs} epochs`,
      },
      {
        quantity: "loss plateau (figure 18, sum of the epoch's batch MSEs)",
        report: '~0.35 for ~500 epochs',
        nnlab: `mean-image level ${(batches * meanImageMse).toFixed(3)}; ${plateauEpochs} epochs within 2% of it`,
      },
      {
        quantity: 'loss at the end (same units)',
        report: '< 0.3 (second plateau)',
        nnlab: `${plotted.toFixed(3)} (= ${r.losses.at(-1)!.toFixed(4)} per pixel; test ${finalTest.toFixed(4)})`,
      },
      {
        quantity: 'MSE vs noise (vs clean image / vs noisy input)',
        report: 'grows with c; c <= 0.1 looks noise-free',
        nnlab: `c=0: ${at(0)}, c=0.1: ${at(0.1)}, c=0.5: ${at(0.5)}, c=1: ${at(1)}`,
      },
      {
        quantity: 'latent space',
        report: 'shoes apart from tops, bags between, trousers inside the tops',
        nnlab: `nearest-group-centroid agreement ${(100 * separation).toFixed(1)}% (chance ~25-50%)`,
      },
    ]);

    return folder.finish({
      final_plotted_loss: plotted,
      mean_image_plotted_loss: batches * meanImageMse,
      plateau_epochs: plateauEpochs,
      train_mse_per_pixel: r.losses.at(-1)!,
      test_mse_per_pixel: finalTest,
      ...Object.fromEntries(
        noisy.flatMap((v) => [
          [`test_mse_noise_${v.c}`, v.mse],
          [`test_mse_vs_input_noise_${v.c}`, v.mseVsInput],
        ]),
      ),
      latent_group_centroid_agreement: separation,
      epochs: cfg.epochs,
      train_images: nTrain,
      seconds_per_epoch: r.secondsPerEpoch,
    });
  } finally {
    model.dispose();
    [train.x, train.y, test.x, test.y].forEach((t) => t.dispose());
  }
}

/** Share of test codes whose nearest group centroid (in the latent plane) is their own group's. */
function groupSeparation(zx: Float32Array, zy: Float32Array, labels: Int32Array): number {
  const k = FASHION_GROUPS.length,
    cx = new Float64Array(k),
    cy = new Float64Array(k),
    cnt = new Float64Array(k);
  labels.forEach((c, i) => {
    const g = GROUP_OF_CLASS[c];
    cx[g] += zx[i];
    cy[g] += zy[i];
    cnt[g]++;
  });
  for (let g = 0; g < k; g++) [cx[g], cy[g]] = [cx[g] / Math.max(cnt[g], 1), cy[g] / Math.max(cnt[g], 1)];
  let right = 0;
  labels.forEach((c, i) => {
    let best = 0;
    for (let g = 1; g < k; g++) if (Math.hypot(zx[i] - cx[g], zy[i] - cy[g]) < Math.hypot(zx[i] - cx[best], zy[i] - cy[best])) best = g;
    right += best === GROUP_OF_CLASS[c] ? 1 : 0;
  });
  return right / labels.length;
}
