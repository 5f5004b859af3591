// The classifiers the explanation studies look inside (cam, deconvnet, occlusion), their
// training on MNIST, and the pieces of their figures: pixels of a test image, heat maps as
// colour images, and the "report says / nnlab gets" table.
import { RandomGenerator, nn, seedCnn } from '../../index.js';
import { colorOf, overlayRgb } from '../../explain/overlay.js';
import type { ColorMap } from '../../explain/overlay.js';
import { trainClassifier, TrainedClassifier, TrainSettings } from '../../train/classifier.js';
import type { TableData } from '../../viz/table.js';
import type { MnistSplit } from '../../data/mnist.js';
import type { RunContext } from './common.js';

export type ExplainModelKind = 'seed-cnn' | 'gap-cnn' | 'zf-cnn';

export interface ExplainModel {
  kind: ExplainModelKind;
  description: string;
  /** Module names: the last convolution's rectified maps, and each conv block's. */
  lastConv: string;
  blocks: string[];
  build(g: RandomGenerator): nn.Sequential;
}

export const EXPLAIN_MODELS: Record<ExplainModelKind, ExplainModel> = {
  'seed-cnn': {
    kind: 'seed-cnn',
    description: 'seed CNN: Conv(1->32,3x3) ReLU MaxPool2 Conv(32->64,3x3) ReLU MaxPool2 Flatten Linear(128) ReLU Linear(10)',
    lastConv: '4',
    blocks: ['1', '4'],
    build: (g) => seedCnn(g),
  },
  // The seed CNN with a CAM head: the second pooling and the dense layers give way to a third
  // convolution (128 maps, 9x9), global average pooling and one Linear, so CAM applies. With the
  // seed CNN's 64 maps only, the GAP head reached 79% on 10k images in 3 epochs against 89% in 2.
  'gap-cnn': {
    kind: 'gap-cnn',
    description:
      'seed CNN with a GAP head: Conv(1->32,3x3) ReLU MaxPool2 Conv(32->64,3x3) ReLU Conv(64->128,3x3) ReLU GlobalAvgPool Linear(128->10)',
    lastConv: '6',
    blocks: ['1', '4', '6'],
    build: (g) =>
      new nn.Sequential(
        new nn.Conv2d(1, 32, 3, { generator: g }),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Conv2d(32, 64, 3, { generator: g }),
        new nn.ReLU(),
        new nn.Conv2d(64, 128, 3, { generator: g }),
        new nn.ReLU(),
        new nn.AdaptiveAvgPool2d(1),
        new nn.Flatten(),
        new nn.Linear(128, 10, { generator: g }),
      ),
  },
  // Three conv blocks (conv, ReLU, max-pool), as the first three of Zeiler & Fergus's network.
  'zf-cnn': {
    kind: 'zf-cnn',
    description:
      'three conv blocks: Conv(1->32,3x3,pad 1) ReLU MaxPool2 Conv(32->64) ReLU MaxPool2 Conv(64->128) ReLU MaxPool2 Flatten Linear(1152->10)',
    lastConv: '7',
    blocks: ['1', '4', '7'],
    build: (g) =>
      new nn.Sequential(
        new nn.Conv2d(1, 32, 3, { padding: 1, generator: g }),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Conv2d(32, 64, 3, { padding: 1, generator: g }),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Conv2d(64, 128, 3, { padding: 1, generator: g }),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(128 * 3 * 3, 10, { generator: g }),
      ),
  },
};

/** Builds and trains one of the models on the run's MNIST (metrics.csv goes to `outDir`). */
export async function trainExplainModel(
  kind: ExplainModelKind,
  ctx: RunContext,
  s: TrainSettings,
  seed: number,
  outDir = ctx.folder.dir,
): Promise<{ model: nn.Sequential; trained: TrainedClassifier }> {
  const spec = EXPLAIN_MODELS[kind];
  const model = spec.build(new RandomGenerator(seed)).to(ctx.device);
  ctx.log(`training the ${kind} (${model.numParameters()} parameters) for ${s.epochs} epochs on ${ctx.mnist.train.n} images`);
  const trained = await trainClassifier(model, ctx.mnist.train, ctx.mnist.test, s, { seed, outDir, log: ctx.log });
  ctx.log(`${kind}: test accuracy ${(100 * trained.testAccuracy).toFixed(2)}%`);
  return { model, trained };
}

/** Test image i's pixels in [0, 1], row-major 28x28. */
export const unitPixels = (split: MnistSplit, i: number) =>
  Float32Array.from(split.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255);

/** The first test image of each class 0..9 (then the next ones, `perClass` per class). */
export function samplesPerClass(split: MnistSplit, perClass: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < 10; c++) {
    let found = 0;
    for (let i = 0; i < split.n && found < perClass; i++) if (split.labels[i] === c) (out.push(i), found++);
  }
  return out;
}

/** A grey image (dark digit on white) as RGB bytes. */
export function greyRgb(pixels: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(pixels.length * 3);
  for (let j = 0; j < pixels.length; j++) out.fill(Math.round(255 * (1 - Math.max(0, Math.min(1, pixels[j])))), j * 3, j * 3 + 3);
  return out;
}

/** A map scaled to [0, 1] by its own range (or by `range`) through a colour map, as RGB bytes. */
export function heatRgb(map: ArrayLike<number>, colorMap: ColorMap = 'jet', range?: [number, number]): Uint8Array {
  let [lo, hi] = range ?? [Infinity, -Infinity];
  if (!range) for (let j = 0; j < map.length; j++) [lo, hi] = [Math.min(lo, map[j]), Math.max(hi, map[j])];
  const out = new Uint8Array(map.length * 3);
  for (let j = 0; j < map.length; j++) out.set(colorOf(hi > lo ? (map[j] - lo) / (hi - lo) : 0, colorMap), j * 3);
  return out;
}

/** A map in [0, 1] over a test image (inverted: dark digit on light ground). */
export const overlayOn = (pixels: ArrayLike<number>, map: ArrayLike<number>, alpha = 0.5) =>
  overlayRgb(pixels, map, 28, 28, { alpha, invert: true });

/** The report's statements or numbers beside ours. */
export function reportVsNnlab(title: string, rows: [string, string, string][]): TableData {
  return { title, columns: ['quantity', 'report says', 'nnlab gets'], rows };
}

/** Nearest-neighbour upscaling of a [h, w] map to [H, W] (for maps coarser than the image). */
export function blockUpsample(map: ArrayLike<number>, h: number, w: number, H: number, W: number): Float32Array {
  const out = new Float32Array(H * W);
  for (let r = 0; r < H; r++)
    for (let c = 0; c < W; c++)
      out[r * W + c] = map[Math.min(h - 1, Math.floor((r * h) / H)) * w + Math.min(w - 1, Math.floor((c * w) / W))];
  return out;
}
