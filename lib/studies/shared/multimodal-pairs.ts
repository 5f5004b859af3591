// Pairs of (MNIST image, spoken digit) of the same class, drawn by a seeded rule, packed into one
// row per pair (pixels then log-mel), and the test-time corruptions of one modality.
import { data, RandomGenerator, ops, tensor, Tensor, tidy } from '../../index.js';
import { ArgumentError } from '../../core/errors.js';
import type { MnistSplit } from '../../data/mnist.js';
import type { SpokenDigitSplit } from './multimodal-audio.js';
import { IMAGE_VALUES } from './multimodal-models.js';

/**
 * The image of each pair: clip i gives pairs i*perClip .. i*perClip+perClip-1; the k-th pair of
 * class c (in that order) takes the k-th image of a seeded shuffle of the split's class-c images,
 * cycling when the class runs out.
 */
export function pairImages(imageLabels: Int32Array, clipLabels: Int32Array, perClip: number, seed: number): Int32Array {
  const byClass = Array.from({ length: 10 }, () => [] as number[]);
  imageLabels.forEach((c, i) => byClass[c].push(i));
  const shuffled = byClass.map((idx, c) => {
    if (idx.length === 0 && clipLabels.includes(c))
      throw new ArgumentError(`multimodal pairs: no image of class ${c} to pair with its spoken digits`);
    return Array.from(data.shuffleOrder(idx.length, seed, c), (j) => idx[j]);
  });
  const used = new Array<number>(10).fill(0);
  const out = new Int32Array(clipLabels.length * perClip);
  clipLabels.forEach((c, i) => {
    for (let r = 0; r < perClip; r++) out[i * perClip + r] = shuffled[c][used[c]++ % shuffled[c].length];
  });
  return out;
}

export interface PairedSplit {
  /** Normalised pixels [n, 784] and log-mel values [n, mels * frames], kept apart for corruptions. */
  image: Tensor;
  audio: Tensor;
  y: Tensor;
  labels: Int32Array;
  imageIndex: Int32Array;
  clipIndex: Int32Array;
  n: number;
}

export function pairSplit(images: MnistSplit, stats: data.NormStats, clips: SpokenDigitSplit, perClip: number, seed: number): PairedSplit {
  const imageIndex = pairImages(images.labels, clips.labels, perClip, seed);
  const n = imageIndex.length;
  const clipIndex = Int32Array.from({ length: n }, (_, p) => Math.floor(p / perClip));
  const pix = new Float32Array(n * IMAGE_VALUES);
  imageIndex.forEach((img, p) => {
    for (let j = 0; j < IMAGE_VALUES; j++)
      pix[p * IMAGE_VALUES + j] = (images.pixels[img * IMAGE_VALUES + j] / 255 - stats.mean) / stats.std;
  });
  const perRow = clips.x.shape.slice(1).reduce((a, b) => a * b, 1);
  const idx = tensor(clipIndex, [n], { dtype: 'int32' });
  const audio = tidy(() => ops.reshape(ops.indexSelect(clips.x, 0, idx), [n, perRow])).keep();
  idx.dispose();
  const labels = Int32Array.from(clipIndex, (i) => clips.labels[i]);
  return {
    image: tensor(pix, [n, IMAGE_VALUES]).keep(),
    audio,
    y: tensor(labels, [n], { dtype: 'int32' }).keep(),
    labels,
    imageIndex,
    clipIndex,
    n,
  };
}

export const CONDITIONS = ['clean', 'image noise', 'image blank', 'audio noise', 'audio blank'] as const;
export type Condition = (typeof CONDITIONS)[number];

export interface CorruptionSettings {
  /** Standard deviation of the Gaussian noise added to the pixels, in [0, 1] pixel units. */
  imageNoise: number;
  /** Standard deviation of the Gaussian noise added to the normalised log-mel values. */
  audioNoise: number;
}

/**
 * The packed rows [n, 784 + mels * frames] of a split under a condition. Blank means a black
 * image or a silent clip (their normalised values); noise is seeded per condition.
 */
export function packed(
  s: PairedSplit,
  cond: Condition,
  c: CorruptionSettings,
  norm: { pixelStd: number; blankPixel: number; silence: number },
  seed: number,
): Tensor {
  return tidy(() => {
    const g = new RandomGenerator(seed + CONDITIONS.indexOf(cond));
    const image =
      cond === 'image noise'
        ? data.gaussianNoise(s.image, c.imageNoise / norm.pixelStd, g)
        : cond === 'image blank'
          ? ops.full(s.image.shape, norm.blankPixel)
          : s.image;
    const audio =
      cond === 'audio noise'
        ? data.gaussianNoise(s.audio, c.audioNoise, g)
        : cond === 'audio blank'
          ? ops.full(s.audio.shape, norm.silence)
          : s.audio;
    return ops.concat([image, audio], 1);
  }).keep();
}
