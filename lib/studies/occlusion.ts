// Study `occlusion` (seed 004; Zeiler & Fergus 2014, section 4.2): a grey square slides over test
// images of each class; maps of the correct-class probability and of the total activation of the
// strongest feature map, and the paper's conclusions checked on them: the probability falls when
// the object is covered, the sensitivity sits on the object, and the strongest feature map goes
// quiet when its region is covered.
import { explain, ops, tidy } from '../index.js';
import { SEED_CNN_TRAIN, TrainSettings } from '../train/classifier.js';
import type { StudySummary } from '../report/run-folder.js';
import { rgbGrid } from '../viz/rgb-grid.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import { greyRgb, heatRgb, overlayOn, reportVsNnlab, samplesPerClass, trainExplainModel, unitPixels } from './shared/explain-models.js';

export interface OcclusionConfig extends BaseConfig {
  train: TrainSettings;
  /** Test images per class explained. */
  perClass: number;
  /** Side of the grey square (pixels), its step, and its grey level in [0, 1]. */
  size: number;
  stride: number;
  grey: number;
}

export const OCCLUSION_FULL: OcclusionConfig = {
  ...FULL_PRESET,
  train: SEED_CNN_TRAIN,
  perClass: 3,
  size: 7,
  stride: 1,
  grey: 0.5,
};

export const OCCLUSION_QUICK: OcclusionConfig = quickPreset(OCCLUSION_FULL, 10000, 2000, {
  train: { epochs: 2, batch: 128, lr: 1e-3 },
  perClass: 1,
});

const LAYER = '4';

interface ImageResult {
  index: number;
  label: number;
  map: explain.OcclusionMap;
  /** Mean probability drop where the square covers ink (pixel > 0.5) and where it covers none. */
  dropOnInk: number;
  dropOffInk: number;
  /** Lowest total activation of the tracked map over positions, relative to the unoccluded one. */
  minActivationRatio: number;
  ms: number;
}

/** Mean drop of p(correct) over positions whose square covers ink, and over those that cover none. */
function inkDrops(pixels: Float32Array, m: explain.OcclusionMap, size: number, stride: number): [number, number] {
  const sums = [0, 0],
    counts = [0, 0];
  for (let r = 0; r < m.rows; r++)
    for (let c = 0; c < m.cols; c++) {
      const [r0, r1] = explain.squareSpan(r, stride, size, 28),
        [c0, c1] = explain.squareSpan(c, stride, size, 28);
      let ink = false;
      for (let i = r0; i < r1 && !ink; i++) for (let j = c0; j < c1; j++) if (pixels[i * 28 + j] > 0.5) ink = true;
      sums[ink ? 0 : 1] += m.baseProb - m.prob[r * m.cols + c];
      counts[ink ? 0 : 1]++;
    }
  return [sums[0] / Math.max(1, counts[0]), sums[1] / Math.max(1, counts[1])];
}

export async function run(cfg: OcclusionConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const ctx = startRun('occlusion', cfg, hooks, {
    model: 'seed CNN',
    tracked_layer: `${LAYER} (ReLU after conv 2)`,
    optimizer: 'Adam',
  });
  const { folder, mnist, log } = ctx;
  try {
    const { model, trained } = await trainExplainModel('seed-cnn', ctx, cfg.train, cfg.seed);
    const fill = (cfg.grey - mnist.stats.mean) / mnist.stats.std;
    const results: ImageResult[] = [];
    for (const index of samplesPerClass(mnist.test, cfg.perClass)) {
      const label = mnist.test.labels[index];
      const t0 = performance.now();
      const map = tidy(() =>
        explain.occlusion(model, ops.slice(mnist.test.x, 0, index, index + 1), {
          size: cfg.size,
          stride: cfg.stride,
          fill,
          target: label,
          layer: LAYER,
        }),
      );
      const ms = performance.now() - t0;
      const pixels = unitPixels(mnist.test, index);
      const [dropOnInk, dropOffInk] = inkDrops(pixels, map, cfg.size, cfg.stride);
      results.push({
        index,
        label,
        map,
        dropOnInk,
        dropOffInk,
        minActivationRatio: Math.min(...map.activation!) / map.baseActivation!,
        ms,
      });
      log(`image #${index} (label ${label}): p ${map.baseProb.toFixed(3)} -> min ${Math.min(...map.prob).toFixed(3)}, ${ms.toFixed(0)} ms`);
    }
    model.dispose();

    const { rows, cols } = results[0].map;
    const cells = results.flatMap((r) => {
      const pixels = unitPixels(mnist.test, r.index);
      const pMap = Float32Array.from(r.map.prob);
      const drop = Float32Array.from(r.map.prob, (p) => Math.max(0, r.map.baseProb - p) / Math.max(1e-12, r.map.baseProb));
      return [
        { rgb: greyRgb(pixels), caption: [`#${r.index} y=${r.label}`, `p=${r.map.baseProb.toFixed(3)}`] },
        { rgb: heatRgb(pMap, 'jet', [0, 1]), caption: [`min p=${Math.min(...pMap).toFixed(3)}`] },
        { rgb: heatRgb(r.map.activation!, 'inferno'), caption: [`map ${r.map.channel}`] },
        { rgb: overlayOn(pixels, drop), caption: ['drop of p'] },
      ];
    });
    folder.figure(
      'occlusion_maps',
      'Occlusion maps',
      rgbGrid(cells, {
        h: rows,
        w: cols,
        columns: 4,
        scale: 3,
        title: `Grey ${cfg.size}x${cfg.size} square, stride ${cfg.stride}`,
        columnTitles: ['input', 'p(correct class)', 'strongest feature map', 'drop of p over input'],
      }),
      'p(correct) in jet from 0 (blue) to 1 (red); the strongest feature map of layer 4 (on the unoccluded image) summed, inferno over its own range',
    );

    const mean = (f: (r: ImageResult) => number) => results.reduce((a, r) => a + f(r), 0) / results.length;
    const meanBase = mean((r) => r.map.baseProb),
      meanMin = mean((r) => Math.min(...r.map.prob));
    const flipped = results.filter((r) => r.map.predicted.some((p) => p !== r.label)).length / results.length;
    const onInk = mean((r) => r.dropOnInk),
      offInk = mean((r) => r.dropOffInk);
    const minAct = mean((r) => r.minActivationRatio);
    const msMedian = results.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(results.length / 2)];

    folder.table('per_image', {
      title: 'Per image',
      columns: [
        'test image',
        'label',
        'p unoccluded',
        'min p',
        'mean drop, square on ink',
        'mean drop, square off ink',
        'tracked map',
        'min activation / unoccluded',
        'ms',
      ],
      rows: results.map((r) => [
        r.index,
        r.label,
        +r.map.baseProb.toFixed(4),
        +Math.min(...r.map.prob).toFixed(4),
        +r.dropOnInk.toFixed(4),
        +r.dropOffInk.toFixed(4),
        r.map.channel!,
        +r.minActivationRatio.toFixed(3),
        +r.ms.toFixed(1),
      ]),
    });
    folder.table(
      'report_vs_nnlab',
      reportVsNnlab(`report says / nnlab gets (${cfg.preset} preset)`, [
        [
          'correct-class probability when the object is covered',
          "drops sharply (paper fig. 7, reproduced by the report's fig. 5b)",
          `mean ${meanBase.toFixed(3)} unoccluded -> ${meanMin.toFixed(3)} at the worst position; prediction changes somewhere on ${(100 * flipped).toFixed(0)}% of images`,
        ],
        [
          'where the sensitivity is',
          'on the object, not the background',
          `mean drop ${onInk.toFixed(4)} with the square on ink vs ${offInk.toFixed(4)} off ink`,
        ],
        [
          'strongest feature map',
          'its activation falls when the square covers the region it responds to',
          `lowest total activation ${(100 * minAct).toFixed(0)}% of the unoccluded one (mean)`,
        ],
        [
          'cost of one 28x28 map at stride 1',
          '(not reported)',
          `${msMedian.toFixed(1)} ms median (batched, ${rows * cols} occluded images)`,
        ],
      ]),
    );

    return folder.finish(
      {
        test_accuracy: trained.testAccuracy,
        images: results.length,
        mean_p_unoccluded: meanBase,
        mean_min_p: meanMin,
        prediction_flipped_fraction: flipped,
        mean_drop_on_ink: onInk,
        mean_drop_off_ink: offInk,
        mean_min_activation_ratio: minAct,
        ms_per_map_median: msMedian,
        square: cfg.size,
        stride: cfg.stride,
      },
      {
        per_image: results.map((r) => ({
          index: r.index,
          label: r.label,
          base_p: r.map.baseProb,
          min_p: Math.min(...r.map.prob),
          channel: r.map.channel,
        })),
      },
    );
  } finally {
    mnist.dispose();
  }
}
