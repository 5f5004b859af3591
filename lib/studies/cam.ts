// Study `cam` (seed 003, section 3): CAM, Grad-CAM, Grad-CAM++ and Score-CAM on the seed CNN with
// a GAP head (trained here on MNIST, and on FashionMNIST in the full preset), and on a ResNet18
// (MNIST; trained here briefly, or --weights FILE; ./shared/cam-resnet.ts): the four maps for
// the true class and a wrong one; the report's brightness and perspective sweeps (10 steps each)
// with the class score per step; its "one object / several objects / no object" images; and,
// beyond the report, how faithful each map is (deletion / insertion curves and their AUC).
import { explain, noGrad, RandomGenerator, ops, tidy } from '../index.js';
import type { Tensor } from '../index.js';
import { brightness, tiltHomography, warpPerspective } from '../data/warps.js';
import { loadMnist, Mnist } from '../data/mnist.js';
import { denormalize, normalize } from '../data/transforms.js';
import type { TrainSettings } from '../train/classifier.js';
import type { StudySummary } from '../report/run-folder.js';
import type { RunFolder } from '../report/run-folder.js';
import { linePlot } from '../viz/line-plot.js';
import { rgbGrid, RgbImage } from '../viz/rgb-grid.js';
import { BaseConfig, RunContext, RunHooks, startRun } from './shared/common.js';
import { greyRgb, overlayOn, reportVsNnlab, samplesPerClass, trainExplainModel, unitPixels } from './shared/explain-models.js';
import type { nn } from '../index.js';
import { join } from 'node:path';
import { trainClassifier } from '../train/classifier.js';
import {
  CAM_RESNET_DESCRIPTION,
  CifarResNet18,
  firstImages,
  loadCamResnet,
  recalibrateBatchNorm,
  RESNET_FC,
  RESNET_LAYER,
  saveCamResnet,
  testAccuracy,
} from './shared/cam-resnet.js';

export interface CamConfig extends BaseConfig {
  train: TrainSettings;
  datasets: ('mnist' | 'fashion')[];
  /** Test images of the sweeps and of the faithfulness curves, and the curves' steps. */
  sweepImages: number;
  faithfulnessImages: number;
  faithfulnessSteps: number;
  /**
   * The ResNet18 part (MNIST only): trained here on the first `trainImages` training images, or
   * loaded from `weights`; null skips it.
   */
  resnet: {
    train: TrainSettings;
    trainImages: number;
    mapImages: number;
    sweepImages: number;
    faithfulnessImages: number;
  } | null;
  /** Safetensors weights of the study's ResNet18 (torchvision names, conv1 3x3 stride 1; see cam-resnet.ts) instead of training it. */
  weights?: string;
}

export const CAM_FULL: CamConfig = {
  preset: 'full',
  seed: 0,
  device: 'auto',
  train: { epochs: 5, batch: 64, lr: 2e-3, cosine: true },
  datasets: ['mnist', 'fashion'],
  sweepImages: 500,
  faithfulnessImages: 500,
  faithfulnessSteps: 28,
  resnet: {
    train: { epochs: 1, batch: 128, lr: 1e-3, cosine: true, cosinePerStep: true },
    trainImages: 60000,
    mapImages: 10,
    sweepImages: 500,
    faithfulnessImages: 100,
  },
};

export const CAM_QUICK: CamConfig = {
  ...CAM_FULL,
  preset: 'quick',
  trainLimit: 8000,
  testLimit: 1000,
  train: { epochs: 2, batch: 64, lr: 2e-3, cosine: true },
  datasets: ['mnist'],
  sweepImages: 100,
  faithfulnessImages: 30,
  faithfulnessSteps: 14,
  // A tiny budget: enough for a ResNet18 well above chance, so its maps mean something. Its
  // forward passes (about 2 ms of CPU per image) are most of the preset's time.
  resnet: {
    train: { epochs: 1, batch: 64, lr: 1e-3, cosine: true, cosinePerStep: true },
    trainImages: 2000,
    mapImages: 4,
    sweepImages: 40,
    faithfulnessImages: 5,
  },
};

// The report's Grad-CAM++ scores (%) of its tennis-ball image, 10 steps each (its tables 5 and 6).
const REPORT_BRIGHTNESS = [0.77, 1.88, 96.68, 99.78, 99.88, 99.94, 99.81, 99.86, 26.45, 0.19];
const REPORT_PERSPECTIVE = [99.94, 99.97, 99.89, 76.15, 99.87, 99.97, 99.95, 99.96, 99.96, 99.96];
const STEPS = 10;
/** Pixel shift of the brightness steps: from almost black strokes to an almost white ground. */
const SHIFTS = Array.from({ length: STEPS }, (_, i) => -0.9 + (1.8 * i) / (STEPS - 1));
/** Tilt (pitch and yaw, degrees) of the perspective steps. */
const TILTS = Array.from({ length: STEPS }, (_, i) => 5 * i);

/** The GAP seed CNN's explained layer (ReLU after conv 3, 9x9) and its classifier. */
const GAP_LAYER = '6',
  GAP_FC = '9';
type Method = 'CAM' | 'Grad-CAM' | 'Grad-CAM++' | 'Score-CAM';
const METHODS: Method[] = ['CAM', 'Grad-CAM', 'Grad-CAM++', 'Score-CAM'];

/** One trained classifier the study explains, and how much of the study it goes through. */
interface Explained {
  /** Prefix of its figures and tables ('mnist', 'mnist_resnet18', ...). */
  key: string;
  label: string;
  model: nn.Module;
  layer: string;
  fc: string;
  accuracy: number;
  /** Test images (one per class, from class 0) of the four-map figure; at least 4. */
  mapImages: number;
  sweepImages: number;
  faithfulnessImages: number;
}

/** The maps of method m for each set of target classes (Score-CAM's masked forward passes serve them all). */
function mapsOf(e: Explained, m: Method, x: Tensor, targets: ArrayLike<number>[]): explain.ClassMaps[] {
  const { model, layer } = e;
  if (m === 'Score-CAM') return explain.scoreCamTargets(model, x, { layer, targets });
  return targets.map((target) => {
    if (m === 'CAM') return explain.cam(model, x, { layer, fc: e.fc, target });
    if (m === 'Grad-CAM') return explain.gradCam(model, x, { layer, target });
    return explain.gradCamPlusPlus(model, x, { layer, target });
  });
}

/** Softmax probability of each image's class (no graph: 500 sweep images through ResNet18 would keep ~1 GB of it). */
function probsOf(model: nn.Module, x: Tensor, labels: ArrayLike<number>): Float32Array {
  return tidy(() => {
    model.eval();
    const p = noGrad(() => ops.softmax(model.call(x), 1)).data();
    return Float32Array.from({ length: x.shape[0] }, (_, i) => p[i * 10 + labels[i]]);
  });
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

/** Two test images of the same class side by side at half size (the report's "several objects"). */
function pair(m: Mnist, a: number, b: number): Float32Array {
  const out = new Float32Array(784),
    pa = unitPixels(m.test, a),
    pb = unitPixels(m.test, b);
  for (let r = 0; r < 14; r++)
    for (let c = 0; c < 14; c++)
      for (const [src, dc] of [
        [pa, 0],
        [pb, 14],
      ] as const) {
        const v =
          (src[2 * r * 28 + 2 * c] + src[2 * r * 28 + 2 * c + 1] + src[(2 * r + 1) * 28 + 2 * c] + src[(2 * r + 1) * 28 + 2 * c + 1]) / 4;
        out[(r + 7) * 28 + c + dc] = v;
      }
  return out;
}

interface DatasetResult {
  name: string;
  key: string;
  label: string;
  accuracy: number;
  brightness: number[];
  perspective: number[];
  one: number;
  several: number;
  none: number;
  auc: { method: string; deletion: number; insertion: number }[];
  /** Per method, the smallest (max - min) of a true-class map over the map images: NaN if any value is not finite. */
  mapRange: Record<Method, number>;
}

/** min over images of (max - min) of each image's map; NaN as soon as one value is not finite. */
function smallestRange(maps: Float32Array, images: number): number {
  const hw = maps.length / images;
  let out = Infinity;
  for (let i = 0; i < images; i++) {
    let lo = Infinity,
      hi = -Infinity;
    for (let j = i * hw; j < (i + 1) * hw; j++) {
      if (!Number.isFinite(maps[j])) return NaN;
      ((lo = Math.min(lo, maps[j])), (hi = Math.max(hi, maps[j])));
    }
    out = Math.min(out, hi - lo);
  }
  return out;
}

/** The GAP seed CNN, trained on the data set (its metrics.csv in the run folder or the data set's sub-folder). */
async function gapCnn(name: 'mnist' | 'fashion', cfg: CamConfig, ctx: RunContext, m: Mnist): Promise<Explained> {
  const outDir = name === 'mnist' ? ctx.folder.dir : ctx.folder.sub(name);
  const { model, trained } = await trainExplainModel('gap-cnn', { ...ctx, mnist: m }, cfg.train, cfg.seed, outDir);
  return {
    key: name,
    label: 'GAP seed CNN',
    model,
    layer: GAP_LAYER,
    fc: GAP_FC,
    accuracy: trained.testAccuracy,
    mapImages: 10,
    sweepImages: cfg.sweepImages,
    faithfulnessImages: cfg.faithfulnessImages,
  };
}

/**
 * The study's ResNet18 on MNIST: loaded from --weights (its accuracy measured on the run's test
 * images), or trained here on the first `trainImages` training images (metrics.csv in resnet18/).
 */
async function resnet18(cfg: CamConfig, ctx: RunContext, m: Mnist): Promise<Explained> {
  const r = cfg.resnet ?? CAM_FULL.resnet!;
  let model: CifarResNet18, accuracy: number;
  if (cfg.weights) {
    model = loadCamResnet(cfg.weights).to(ctx.device);
    accuracy = testAccuracy(model, m.test);
    ctx.log(`ResNet18 from ${cfg.weights}: test accuracy ${(100 * accuracy).toFixed(2)}%`);
  } else {
    model = new CifarResNet18({ numClasses: 10, inChannels: 1, generator: new RandomGenerator(cfg.seed) }).to(ctx.device);
    const train = firstImages(m.train, r.trainImages);
    try {
      ctx.log(`training ResNet18 (${model.numParameters()} parameters) for ${r.train.epochs} epoch(s) on ${train.n} images`);
      const dir = ctx.folder.sub('resnet18');
      const trained = await trainClassifier(model, train, m.test, r.train, { seed: cfg.seed, outDir: dir, log: ctx.log });
      recalibrateBatchNorm(model, train);
      accuracy = testAccuracy(model, m.test);
      ctx.log(
        `ResNet18: test accuracy ${(100 * trained.testAccuracy).toFixed(2)}% with the running batch-norm estimates, ${(100 * accuracy).toFixed(2)}% re-estimated`,
      );
      saveCamResnet(join(dir, 'resnet18.safetensors'), model);
    } finally {
      if (train !== m.train) (train.x.dispose(), train.y.dispose());
    }
    ctx.log(`ResNet18: test accuracy ${(100 * accuracy).toFixed(2)}%`);
  }
  return {
    key: 'mnist_resnet18',
    label: 'ResNet18',
    model,
    layer: RESNET_LAYER,
    fc: RESNET_FC,
    accuracy,
    mapImages: r.mapImages,
    sweepImages: r.sweepImages,
    faithfulnessImages: r.faithfulnessImages,
  };
}

/** Everything the study shows of one trained model on one data set; disposes the model. */
async function explainModel(name: 'mnist' | 'fashion', e: Explained, cfg: CamConfig, ctx: RunContext, m: Mnist): Promise<DatasetResult> {
  const { folder, log } = ctx;
  const { model, key } = e;
  model.eval();
  const toInput = (unit: Tensor) => normalize(unit, m.stats),
    toUnit = (x: Tensor) => denormalize(x, m.stats);
  try {
    // 1. The four maps, for the true class and the runner-up class, on one test image per class.
    const idx = samplesPerClass(m.test, 1).slice(0, Math.max(4, e.mapImages));
    const x = tidy(() => ops.indexSelect(m.test.x, 0, idx));
    const logits = tidy(() => model.call(x).data());
    const truth = idx.map((i) => m.test.labels[i]);
    const wrong = idx.map((_, j) => {
      let best = -1;
      for (let c = 0; c < 10; c++) if (c !== truth[j] && (best < 0 || logits[j * 10 + c] > logits[j * 10 + best])) best = c;
      return best;
    });
    const maps = Object.fromEntries(METHODS.map((meth) => [meth, mapsOf(e, meth, x, [truth, wrong])])) as Record<
      Method,
      explain.ClassMaps[]
    >;
    const cells: RgbImage[] = idx.flatMap((i, j) => {
      const px = unitPixels(m.test, i);
      return [
        { rgb: greyRgb(px), caption: [`#${i} y=${truth[j]}`] },
        ...[0, 1].flatMap((w) =>
          METHODS.map((meth) => ({
            rgb: overlayOn(px, maps[meth][w].maps.subarray(j * 784, (j + 1) * 784)),
            caption: [`class ${w ? wrong[j] : truth[j]}`],
          })),
        ),
      ];
    });
    folder.figure(
      `${key}_maps`,
      `${name}, ${e.label}: the four maps, true and runner-up class`,
      rgbGrid(cells, {
        h: 28,
        w: 28,
        columns: 9,
        scale: 3,
        title: `${name}, ${e.label}: CAM, Grad-CAM, Grad-CAM++, Score-CAM for the true class (left) and the runner-up class (right)`,
        columnTitles: ['image', ...METHODS, ...METHODS.map((s) => `${s} (wrong)`)],
      }),
      'jet from blue (0) to red (1), each map over its own range, over the image',
    );
    x.dispose();

    // 2. Sweeps: brightness and perspective, 10 steps each, mean p(true class) on correctly classified test images.
    const n = Math.min(e.sweepImages, m.test.n);
    const labels = m.test.labels.subarray(0, n);
    const base = tidy(() => ops.slice(m.test.x, 0, 0, n).keep());
    const sweep = (f: (unit: Tensor, step: number) => Tensor) =>
      Array.from({ length: STEPS }, (_, s) => tidy(() => mean(probsOf(model, toInput(f(toUnit(base), s)), labels))));
    const bright = (u: Tensor, s: number) => brightness(u, 1, SHIFTS[s]);
    const tilt = (u: Tensor, s: number) => warpPerspective(u, tiltHomography(28, 28, TILTS[s], TILTS[s]), 0);
    const brightScores = sweep(bright),
      tiltScores = sweep(tilt);
    folder.figure(
      `${key}_sweeps`,
      `${name}, ${e.label}: class score per step`,
      linePlot(
        [
          { name: 'brightness (shift -0.9 .. +0.9)', x: SHIFTS.map((_, i) => i + 1), y: brightScores },
          { name: 'perspective (tilt 0 .. 45 deg)', x: TILTS.map((_, i) => i + 1), y: tiltScores },
          ...(name === 'mnist'
            ? [
                {
                  name: 'report: brightness',
                  x: REPORT_BRIGHTNESS.map((_, i) => i + 1),
                  y: REPORT_BRIGHTNESS.map((v) => v / 100),
                },
                {
                  name: 'report: perspective',
                  x: REPORT_PERSPECTIVE.map((_, i) => i + 1),
                  y: REPORT_PERSPECTIVE.map((v) => v / 100),
                },
              ]
            : []),
        ],
        {
          title: `${name}, ${e.label}: mean p(true class) over ${n} test images per step`,
          xLabel: 'step',
          yLabel: 'p(true class)',
          yDomain: [0, 1],
          integerX: true,
        },
      ),
    );
    // One image through both sweeps with its Grad-CAM++ map.
    const strip = (['brightness', 'perspective'] as const).flatMap((kind) =>
      tidy(() => {
        const one = toUnit(ops.slice(m.test.x, 0, idx[3], idx[3] + 1));
        const imgs = ops.concat(
          Array.from({ length: STEPS }, (_, s) => (kind === 'brightness' ? bright : tilt)(one, s)),
          0,
        );
        const xin = toInput(imgs),
          px = imgs.data();
        const lab = new Array<number>(STEPS).fill(m.test.labels[idx[3]]);
        const p = probsOf(model, xin, lab),
          gc = explain.gradCamPlusPlus(model, xin, { layer: e.layer, target: lab });
        const pix = (s: number) => px.subarray(s * 784, (s + 1) * 784);
        return [
          ...Array.from({ length: STEPS }, (_, s) => ({
            rgb: greyRgb(pix(s)),
            caption: [`${kind} ${s + 1}`, `p=${(100 * p[s]).toFixed(2)}%`],
          })),
          ...Array.from({ length: STEPS }, (_, s) => ({
            rgb: overlayOn(pix(s), gc.maps.subarray(s * 784, (s + 1) * 784)),
          })),
        ];
      }),
    );
    folder.figure(
      `${key}_sweep_images`,
      `${name}, ${e.label}: one image through the sweeps`,
      rgbGrid(strip, {
        h: 28,
        w: 28,
        columns: STEPS,
        scale: 3,
        title: 'Brightness and perspective steps with the Grad-CAM++ map and the class score',
      }),
    );

    // 3. One object, several objects (two of the class side by side), no object (another class's image).
    const perClass = samplesPerClass(m.test, 2);
    const rows = Array.from({ length: 10 }, (_, c) => [
      unitPixels(m.test, perClass[2 * c]),
      pair(m, perClass[2 * c], perClass[2 * c + 1]),
      unitPixels(m.test, perClass[2 * ((c + 1) % 10)]),
    ]);
    const osn = tidy(() => {
      const xin = toInput(ops.tensor(Float32Array.from(rows.flatMap((r) => r.flatMap((v) => Array.from(v)))), [30, 1, 28, 28]));
      const target = Array.from({ length: 30 }, (_, k) => Math.floor(k / 3));
      return { p: probsOf(model, xin, target), gc: explain.gradCamPlusPlus(model, xin, { layer: e.layer, target }) };
    });
    folder.figure(
      `${key}_one_several_none`,
      `${name}, ${e.label}: one, several, no object of the class`,
      rgbGrid(
        rows.flatMap((r, c) =>
          r.flatMap((px, k) => [
            { rgb: greyRgb(px), caption: [`class ${c}`] },
            {
              rgb: overlayOn(px, osn.gc.maps.subarray((3 * c + k) * 784, (3 * c + k + 1) * 784)),
              caption: [`p=${(100 * osn.p[3 * c + k]).toFixed(2)}%`],
            },
          ]),
        ),
        {
          h: 28,
          w: 28,
          columns: 6,
          scale: 3,
          title: 'Grad-CAM++ for the class: one object, two objects, none',
          columnTitles: ['one', '', 'several', '', 'none', ''],
        },
      ),
    );
    const pick = (k: number) => mean(Array.from({ length: 10 }, (_, c) => osn.p[3 * c + k]));

    // 4. Faithfulness: deletion and insertion curves of each method (and of a random map).
    const nf = Math.min(e.faithfulnessImages, m.test.n);
    const xf = tidy(() => ops.slice(m.test.x, 0, 0, nf).keep());
    const tf = Array.from(m.test.labels.subarray(0, nf));
    const blank = -m.stats.mean / m.stats.std;
    const g = new RandomGenerator(cfg.seed + 1);
    const random = tidy(() => ops.rand([nf * 784], { generator: g }).data() as Float32Array);
    const curves = [...METHODS.map((meth) => [meth, mapsOf(e, meth, xf, [tf])[0].maps] as const), ['random', random] as const].map(
      ([meth, mp]) => {
        const c = explain.deletionInsertion(model, xf, mp, tf, { steps: cfg.faithfulnessSteps, baseline: blank });
        log(`${key} ${meth}: deletion AUC ${c.deletionAuc.toFixed(4)}, insertion AUC ${c.insertionAuc.toFixed(4)}`);
        return { method: meth, c };
      },
    );
    xf.dispose();
    base.dispose();
    const meanCurve = (a: Float32Array) =>
      Array.from({ length: cfg.faithfulnessSteps + 1 }, (_, s) =>
        mean(Array.from({ length: nf }, (_, i) => a[i * (cfg.faithfulnessSteps + 1) + s])),
      );
    const xs = Array.from({ length: cfg.faithfulnessSteps + 1 }, (_, s) => s / cfg.faithfulnessSteps);
    for (const kind of ['deletion', 'insertion'] as const)
      folder.figure(
        `${key}_${kind}`,
        `${name}, ${e.label}: ${kind} curves`,
        linePlot(
          curves.map(({ method, c }) => ({ name: method, x: xs, y: meanCurve(c[kind]) })),
          {
            title: `${name}, ${e.label}: ${kind} (mean over ${nf} test images)`,
            xLabel: `fraction of pixels ${kind === 'deletion' ? 'removed' : 'inserted'}, most important first`,
            yLabel: 'p(true class)',
            yDomain: [0, 1],
          },
        ),
      );
    const auc = curves.map(({ method, c }) => ({ method, deletion: c.deletionAuc, insertion: c.insertionAuc }));
    folder.table(`${key}_faithfulness`, {
      title: `${name}, ${e.label}: area under the deletion (lower is better) and insertion (higher is better) curves`,
      columns: ['method', 'deletion AUC', 'insertion AUC'],
      rows: auc.map((a) => [a.method, +a.deletion.toFixed(4), +a.insertion.toFixed(4)]),
    });
    return {
      name,
      key,
      label: e.label,
      accuracy: e.accuracy,
      mapRange: Object.fromEntries(METHODS.map((meth) => [meth, smallestRange(maps[meth][0].maps, idx.length)])) as Record<Method, number>,
      brightness: brightScores,
      perspective: tiltScores,
      one: pick(0),
      several: pick(1),
      none: pick(2),
      auc,
    };
  } finally {
    model.dispose();
  }
}

function reportTable(folder: RunFolder, cfg: CamConfig, r: DatasetResult, res: DatasetResult | undefined): void {
  const pct = (v: number) => (100 * v).toFixed(2);
  const best = [...r.auc].filter((a) => a.method !== 'random').sort((a, b) => a.deletion - b.deletion)[0],
    rnd = r.auc.find((a) => a.method === 'random')!;
  folder.table(
    'report_vs_nnlab',
    reportVsNnlab(
      `report says / nnlab gets (${cfg.preset} preset; report: regnet_y_400mf on its tennis-ball photos, nnlab: GAP seed CNN on ${r.name} test images)`,
      [
        ['score, one object of the class (%)', '99.92', `${pct(r.one)} (mean over one image per class)`],
        ['score, several objects (%)', '99.93', `${pct(r.several)} (two half-size digits side by side)`],
        ['score, no object of the class (%)', '0.00', `${pct(r.none)} (another class's image)`],
        ['brightness sweep, score per step (%)', REPORT_BRIGHTNESS.join(' '), r.brightness.map(pct).join(' ')],
        ['perspective sweep, score per step (%)', REPORT_PERSPECTIVE.join(' '), r.perspective.map(pct).join(' ')],
        [
          'more sensitive to brightness than to perspective',
          `yes (worst step ${Math.min(...REPORT_BRIGHTNESS)} vs ${Math.min(...REPORT_PERSPECTIVE)})`,
          `worst step ${pct(Math.min(...r.brightness))} vs ${pct(Math.min(...r.perspective))}`,
        ],
        [
          'most faithful map (deletion AUC, lower is better)',
          '(not measured)',
          `${best.method} ${best.deletion.toFixed(4)} vs random map ${rnd.deletion.toFixed(4)}`,
        ],
        ...(res ? resnetRows(res) : []),
      ],
    ),
  );
}

/** The ResNet18's line in the report table: the report's network was an ImageNet CNN too. */
function resnetRows(r: DatasetResult): [string, string, string][] {
  const pct = (v: number) => (100 * v).toFixed(2);
  const best = [...r.auc].filter((a) => a.method !== 'random').sort((a, b) => a.deletion - b.deletion)[0],
    rnd = r.auc.find((a) => a.method === 'random')!;
  return [
    ['ResNet18: test accuracy', '(regnet_y_400mf, ImageNet)', `${pct(r.accuracy)}%`],
    ['ResNet18: brightness sweep (%)', REPORT_BRIGHTNESS.join(' '), r.brightness.map(pct).join(' ')],
    ['ResNet18: perspective sweep (%)', REPORT_PERSPECTIVE.join(' '), r.perspective.map(pct).join(' ')],
    ['ResNet18: score one / several / none (%)', '99.92 / 99.93 / 0.00', `${pct(r.one)} / ${pct(r.several)} / ${pct(r.none)}`],
    [
      'ResNet18: most faithful map (deletion AUC)',
      '(not measured)',
      `${best.method} ${best.deletion.toFixed(4)} vs random map ${rnd.deletion.toFixed(4)}`,
    ],
  ];
}

export async function run(cfg: CamConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const ctx = startRun('cam', cfg, hooks, {
    model: 'gap-cnn (seed CNN with a GAP head)',
    layer: `${GAP_LAYER} (ReLU after conv 3, 9x9)`,
    fc: GAP_FC,
    resnet18: cfg.resnet || cfg.weights ? `${CAM_RESNET_DESCRIPTION}; maps at '${RESNET_LAYER}' (2x2), fc '${RESNET_FC}'` : 'skipped',
    optimizer: 'Adam',
    brightness_shifts: SHIFTS,
    tilts_deg: TILTS,
  });
  const results: DatasetResult[] = [];
  try {
    // A bad --weights file fails before any training.
    if (cfg.weights) loadCamResnet(cfg.weights).dispose();
    for (const name of cfg.datasets) {
      const m =
        name === 'mnist'
          ? ctx.mnist
          : loadMnist({ trainLimit: cfg.trainLimit, testLimit: cfg.testLimit, device: ctx.device, dataset: name });
      try {
        results.push(await explainModel(name, await gapCnn(name, cfg, ctx, m), cfg, ctx, m));
        if (name === 'mnist' && (cfg.resnet || cfg.weights))
          results.push(await explainModel(name, await resnet18(cfg, ctx, m), cfg, ctx, m));
      } finally {
        if (m !== ctx.mnist) m.dispose();
      }
    }
  } finally {
    ctx.mnist.dispose();
  }
  reportTable(
    ctx.folder,
    cfg,
    results[0],
    results.find((r) => r.label === 'ResNet18'),
  );
  const headline: Record<string, number> = {};
  for (const r of results) {
    headline[`${r.key}_test_accuracy`] = r.accuracy;
    for (const a of r.auc) {
      headline[`${r.key}_${a.method}_deletion_auc`] = a.deletion;
      headline[`${r.key}_${a.method}_insertion_auc`] = a.insertion;
    }
    for (const meth of METHODS) headline[`${r.key}_${meth}_map_min_range`] = r.mapRange[meth];
    headline[`${r.key}_brightness_min_score`] = Math.min(...r.brightness);
    headline[`${r.key}_brightness_max_score`] = Math.max(...r.brightness);
    headline[`${r.key}_perspective_min_score`] = Math.min(...r.perspective);
    headline[`${r.key}_score_one`] = r.one;
    headline[`${r.key}_score_several`] = r.several;
    headline[`${r.key}_score_none`] = r.none;
  }
  return ctx.folder.finish(headline, {
    sweeps: results.map((r) => ({ dataset: r.name, model: r.label, brightness: r.brightness, perspective: r.perspective })),
  });
}
