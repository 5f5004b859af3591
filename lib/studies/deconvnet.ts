// Study `deconvnet` (seed 004; Zeiler & Fergus 2014, section 2.1 and figure 2): a three-block CNN
// trained on MNIST; its layer-1 filters as images; for layers 1..3, the nine test images that
// activate each chosen feature map most, their deconvnet projections side by side (the paper's
// layout), guided backprop and the plain gradient for comparison; and the paper's claims measured:
// projections grow with depth (bounded by the receptive field) and deeper maps are more
// class-specific.
import { explain, ops, tidy } from '../index.js';
import { SEED_CNN_TRAIN, TrainSettings } from '../train/classifier.js';
import type { StudySummary } from '../report/run-folder.js';
import { imageGrid } from '../viz/image-grid.js';
import { rgbGrid, RgbImage } from '../viz/rgb-grid.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import { EXPLAIN_MODELS, greyRgb, reportVsNnlab, trainExplainModel, unitPixels } from './shared/explain-models.js';
import type { MnistSplit } from '../data/mnist.js';
import { Conv2d } from '../nn/layers.js';

export interface DeconvnetConfig extends BaseConfig {
  train: TrainSettings;
  /** Feature maps shown per layer (the most active ones on the searched images). */
  mapsPerLayer: number;
  /** Top-k activating images per feature map (9 in the paper). */
  topK: number;
}

export const DECONVNET_FULL: DeconvnetConfig = {
  ...FULL_PRESET,
  train: SEED_CNN_TRAIN,
  mapsPerLayer: 9,
  topK: 9,
};

export const DECONVNET_QUICK: DeconvnetConfig = quickPreset(DECONVNET_FULL, 10000, 2000, {
  train: { epochs: 1, batch: 64, lr: 1e-3 },
  mapsPerLayer: 4,
});

// Receptive fields of the three blocks' ReLU outputs: conv 3 -> pool 2 -> conv 3 (x2) -> pool -> conv 3 (x4).
const RECEPTIVE_FIELD = [3, 8, 18];

/** A signed projection as grey: 0 mid-grey, the largest |value| black or white. */
function signedGrey(v: ArrayLike<number>): Uint8Array {
  const m = Math.max(1e-12, ...Array.from(v, Math.abs));
  const out = new Uint8Array(v.length * 3);
  for (let j = 0; j < v.length; j++) out.fill(Math.round(255 * (0.5 - (0.5 * v[j]) / m)), j * 3, j * 3 + 3);
  return out;
}

/** Side of the bounding box of the pixels holding >= 5% of the projection's largest |value|. */
function extent(v: ArrayLike<number>): number {
  const m = Math.max(...Array.from(v, Math.abs));
  let r0 = 28,
    r1 = -1,
    c0 = 28,
    c1 = -1;
  for (let j = 0; j < 784; j++)
    if (Math.abs(v[j]) >= 0.05 * m)
      [r0, r1, c0, c1] = [Math.min(r0, Math.floor(j / 28)), Math.max(r1, Math.floor(j / 28)), Math.min(c0, j % 28), Math.max(c1, j % 28)];
  return r1 < 0 ? 0 : Math.max(r1 - r0 + 1, c1 - c0 + 1);
}

interface LayerResult {
  layer: number;
  channels: number[];
  /** Per channel, the top-k test image indices. */
  top: number[][];
  projections: Float32Array[][];
  meanExtent: number;
  /** Mean share of a channel's top-k images carrying its most common label. */
  purity: number;
}

function topImages(maxima: Float32Array, K: number, channel: number, k: number): number[] {
  const n = maxima.length / K;
  return Array.from({ length: n }, (_, i) => i)
    .sort((a, b) => maxima[b * K + channel] - maxima[a * K + channel] || a - b)
    .slice(0, k);
}

function purity(labels: Int32Array, idx: number[]): number {
  const counts = new Array<number>(10).fill(0);
  for (const i of idx) counts[labels[i]]++;
  return Math.max(...counts) / idx.length;
}

export async function run(cfg: DeconvnetConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const spec = EXPLAIN_MODELS['zf-cnn'];
  const ctx = startRun('deconvnet', cfg, hooks, { model: spec.description, layers: spec.blocks, optimizer: 'Adam' });
  const { folder, mnist, log } = ctx;
  try {
    const { model, trained } = await trainExplainModel('zf-cnn', ctx, cfg.train, cfg.seed);
    const test: MnistSplit = mnist.test;

    // Layer-1 filters, each scaled to its own range.
    const conv1 = model.layers[0] as Conv2d;
    const w = conv1.weight.data() as Float32Array,
      nf = conv1.outChannels;
    folder.figure(
      'layer1_filters',
      'Layer-1 filters',
      imageGrid(
        Array.from({ length: nf }, (_, f) => {
          const px = w.subarray(f * 9, f * 9 + 9),
            lo = Math.min(...px),
            hi = Math.max(...px);
          return { pixels: Array.from(px, (v) => (v - lo) / Math.max(1e-12, hi - lo)), caption: [`${f}`] };
        }),
        { h: 3, w: 3, scale: 14, columns: 8, invert: false, title: 'Layer-1 filters (3x3, each over its own range)' },
      ),
    );

    const layers: LayerResult[] = [];
    spec.blocks.forEach((name, l) => {
      const { values, channels: K } = explain.channelMaxima(model, test.x, name);
      // The most active maps: highest mean of their per-image maxima.
      const meanMax = Array.from({ length: K }, (_, c) => {
        let s = 0;
        for (let i = 0; i < test.n; i++) s += values[i * K + c];
        return s / test.n;
      });
      const channels = meanMax
        .map((m, c) => [m, c])
        .sort((a, b) => b[0] - a[0])
        .slice(0, cfg.mapsPerLayer)
        .map(([, c]) => c);
      const top = channels.map((c) => topImages(values, K, c, cfg.topK));
      const projections = channels.map((c, j) =>
        tidy(() => {
          const p = explain.deconvnet(model, ops.indexSelect(test.x, 0, top[j]), { layer: name, channel: c });
          return top[j].map((_, i) => p.images.slice(i * 784, (i + 1) * 784));
        }),
      );
      const extents = projections.flat().map(extent);
      layers.push({
        layer: l + 1,
        channels,
        top,
        projections,
        meanExtent: extents.reduce((a, b) => a + b, 0) / extents.length,
        purity: top.reduce((a, idx) => a + purity(test.labels, idx), 0) / top.length,
      });
      log(
        `layer ${l + 1}: maps ${channels.join(', ')}; projection extent ${layers[l].meanExtent.toFixed(1)} px (receptive field ${RECEPTIVE_FIELD[l]}), top-${cfg.topK} purity ${layers[l].purity.toFixed(2)}`,
      );

      // The paper's layout: per feature map, the projections then the images.
      const cells: RgbImage[] = channels.flatMap((c, j) => [
        ...projections[j].map((p, i) => ({ rgb: signedGrey(p), caption: i === 0 ? [`map ${c}`] : [''] })),
        ...top[j].map((i) => ({ rgb: greyRgb(unitPixels(test, i)), caption: [`y=${test.labels[i]}`] })),
      ]);
      folder.figure(
        `layer${l + 1}_top${cfg.topK}`,
        `Layer ${l + 1}: top-${cfg.topK} images and their deconvnet projections`,
        rgbGrid(cells, {
          h: 28,
          w: 28,
          columns: 2 * cfg.topK,
          scale: 2,
          title: `Layer ${l + 1}: deconvnet projections (left) and the top-${cfg.topK} test images (right) per feature map`,
        }),
        'projections in grey: mid-grey 0, dark positive, light negative',
      );
    });

    // Deconvnet against guided backprop and the plain gradient, on each layer's strongest image.
    const compare = spec.blocks.flatMap((name, l) => {
      const r = layers[l],
        i = r.top[0][0],
        c = r.channels[0];
      return tidy(() => {
        const x = ops.slice(test.x, 0, i, i + 1);
        const rules: explain.ProjectionRule[] = ['deconvnet', 'guided', 'gradient'];
        return [
          { rgb: greyRgb(unitPixels(test, i)), caption: [`layer ${l + 1}, map ${c}`] },
          ...rules.map((rule) => ({
            rgb: signedGrey(explain.project(model, x, { layer: name, channel: c, rule }).images),
          })),
        ];
      });
    });
    folder.figure(
      'deconvnet_vs_guided',
      'Deconvnet, guided backprop and gradient',
      rgbGrid(compare, {
        h: 28,
        w: 28,
        columns: 4,
        scale: 3,
        title: 'One activation projected three ways',
        columnTitles: ['image', 'deconvnet', 'guided backprop', 'gradient'],
      }),
    );
    model.dispose();

    folder.table('layers', {
      title: 'Per layer',
      columns: ['layer', 'receptive field (px)', 'mean projection extent (px)', `top-${cfg.topK} label purity`, 'maps shown'],
      rows: layers.map((r) => [
        r.layer,
        RECEPTIVE_FIELD[r.layer - 1],
        +r.meanExtent.toFixed(2),
        +r.purity.toFixed(3),
        r.channels.join(' '),
      ]),
    });
    const ext = layers.map((r) => r.meanExtent.toFixed(1)).join(' / '),
      pur = layers.map((r) => r.purity.toFixed(2)).join(' / ');
    folder.table(
      'report_vs_nnlab',
      reportVsNnlab(`report says / nnlab gets (${cfg.preset} preset)`, [
        [
          'deconvnet method',
          'unpooling by switches, ReLU rectification, transposed filters',
          'the same (max-pool switches, relu(signal), transposed convolution), one backward pass with the ReLU rule swapped',
        ],
        [
          'what the layers see',
          'layer 1 edges and blobs; deeper layers larger, more complex, more invariant structures',
          `projection extent ${ext} px for layers 1 / 2 / 3 (receptive fields ${RECEPTIVE_FIELD.join(' / ')})`,
        ],
        [
          'class specificity',
          'deeper feature maps respond to class-specific patterns (paper fig. 2)',
          `top-${cfg.topK} images sharing one label: ${pur} for layers 1 / 2 / 3`,
        ],
        [
          'test accuracy of the network visualised',
          '(ImageNet model in the paper)',
          `${(100 * trained.testAccuracy).toFixed(2)}% on MNIST`,
        ],
      ]),
    );

    return folder.finish(
      {
        test_accuracy: trained.testAccuracy,
        ...Object.fromEntries(
          layers.flatMap((r) => [
            [`layer${r.layer}_extent`, r.meanExtent],
            [`layer${r.layer}_purity`, r.purity],
          ]),
        ),
        maps_per_layer: cfg.mapsPerLayer,
        top_k: cfg.topK,
      },
      { layers: layers.map((r) => ({ layer: r.layer, channels: r.channels, top: r.top })) },
    );
  } finally {
    mnist.dispose();
  }
}
