// What the class-max and knn-max studies share: the seed CNN they drive (trained in the run, taking
// pixels), the 10x10 grid of (source image, target class) pairs, and its figures and statistics.
import { RandomGenerator, attacks, ops, seedCnn, ValueError } from '../../index.js';
import type { Tensor } from '../../index.js';
import { accuracy, decide, predictProbs, trainClassifier, TrainSettings } from '../../train/classifier.js';
import type { TrainedClassifier } from '../../train/classifier.js';
import type { MnistSplit } from '../../data/mnist.js';
import { imageGrid } from '../../viz/image-grid.js';
import type { RunContext } from './common.js';

export const CLASSES = 10;
const DIM = 28 * 28;

export interface PixelCnn {
  /** The seed CNN behind a normalising layer: takes pixels in [0, 1]. */
  model: attacks.PixelSpaceModel;
  trained: TrainedClassifier;
  testAccuracy: number;
  /** Predictions on the test split (for choosing the source images). */
  pred: Int32Array;
  dispose(): void;
}

/** Trains the seed CNN on the run's MNIST (metrics.csv in the run folder). */
export async function trainPixelCnn(ctx: RunContext, train: TrainSettings, seed: number): Promise<PixelCnn> {
  const { mnist, folder, log, device } = ctx;
  const net = seedCnn(new RandomGenerator(seed)).to(device);
  log(`training the seed CNN for ${train.epochs} epochs on ${mnist.train.n} images`);
  const trained = await trainClassifier(net, mnist.train, mnist.test, train, { seed, outDir: folder.dir, log });
  const { pred } = decide(predictProbs(net, mnist.test.x));
  const model = new attacks.PixelSpaceModel(net, mnist.stats);
  model.eval();
  return { model, trained, testAccuracy: accuracy(pred, mnist.test.labels), pred, dispose: () => net.dispose() };
}

export interface PairGrid {
  /** Test index of the source image of each class. */
  sources: number[];
  /** Pixels in [0, 1] of the 100 pairs, row s*10+t = source of class s, target t. */
  pixels: Float32Array;
  targets: number[];
  /** Indices of the 90 pairs whose target differs from the source's class. */
  offDiagonal: number[];
}

/** The first test image of each class (the first one `pred` gets right, when given). */
export function pickSources(split: MnistSplit, pred?: ArrayLike<number>): number[] {
  return Array.from({ length: CLASSES }, (_, c) => {
    const i = [...split.labels.keys()].find((j) => split.labels[j] === c && (!pred || pred[j] === c));
    if (i === undefined) throw new ValueError(`no test image of class ${c}${pred ? ' classified correctly' : ''} in the first ${split.n}`);
    return i;
  });
}

export function pairGrid(split: MnistSplit, sources: number[]): PairGrid {
  const pixels = new Float32Array(CLASSES * CLASSES * DIM),
    targets: number[] = [];
  sources.forEach((src, s) => {
    for (let t = 0; t < CLASSES; t++) {
      for (let j = 0; j < DIM; j++) pixels[(s * CLASSES + t) * DIM + j] = split.pixels[src * DIM + j] / 255;
      targets.push(t);
    }
  });
  const offDiagonal = targets.map((t, i) => (Math.floor(i / CLASSES) !== t ? i : -1)).filter((i) => i >= 0);
  return { sources, pixels, targets, offDiagonal };
}

export const asImages = (pixels: Float32Array) => ops.tensor(pixels, [pixels.length / DIM, 1, 28, 28]);

/** The 10x10 grid of images (rows: source class, columns: target), each captioned. */
export function pairGridFigure(
  images: Tensor | Float32Array,
  captions: (i: number) => string[],
  flagged: (i: number) => boolean,
  title: string,
): string {
  const px = images instanceof Float32Array ? images : (images.data() as Float32Array);
  return imageGrid(
    Array.from({ length: px.length / DIM }, (_, i) => ({
      pixels: px.subarray(i * DIM, (i + 1) * DIM),
      caption: captions(i),
      flagged: flagged(i),
    })),
    { h: 28, w: 28, scale: 2, columns: CLASSES, title },
  );
}

/** Softmax probability of each image's target class under the pixel-space CNN. */
export function cnnTargetProb(cnn: PixelCnn, images: Tensor, targets: number[]): Float32Array {
  const probs = predictProbs(cnn.model, images);
  return Float32Array.from(targets, (t, i) => probs[i * CLASSES + t]);
}

/** Mean over the chosen images of a per-step history, each carried forward after it stopped. */
export function meanCurve(histories: number[][], idx: number[], length: number, f: (v: number) => number = (v) => v): number[] {
  return Array.from({ length }, (_, s) => idx.reduce((a, i) => a + f(histories[i][Math.min(s, histories[i].length - 1)]), 0) / idx.length);
}

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const v = [...values].sort((a, b) => a - b),
    m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** L2 distance of each image from its start (pixel units). */
export function movedL2(start: Float32Array, end: Float32Array): number[] {
  return Array.from({ length: start.length / DIM }, (_, i) => {
    let s = 0;
    for (let j = i * DIM; j < (i + 1) * DIM; j++) s += (end[j] - start[j]) ** 2;
    return Math.sqrt(s);
  });
}
