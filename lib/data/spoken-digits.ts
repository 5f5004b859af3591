// Spoken digits for the audio studies: a folder in the AudioMNIST / free-spoken-digit layout
// ([digit]_[speaker]_[index].wav, any sample rate, subfolders allowed) or, offline, the espeak-ng
// synthetic set (espeak-digits.ts); clips resampled to 8 kHz, cut or zero-padded to one length,
// split by speaker (every 4th speaker in name order is a test speaker, so test voices are unseen),
// and turned into normalised log-mel spectrograms [N, 1, nMels, frames] by the native spectral ops.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { ArgumentError, IOError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import type { Device } from '../core/tensor.js';
import { Tensor } from '../core/tensor.js';
import { defaultSyntheticDir, ensureSyntheticDigits, FULL_SYNTHETIC_PLAN, SyntheticPlan, syntheticClips } from './espeak-digits.js';
import { resample } from './resample.js';
import { readWav } from './wav.js';

export const SPOKEN_DIGIT_RATE = 8000;
const CLIP_NAME = /^(\d)_([^_]+)_(\d+)\.wav$/i;

export interface SpokenClip {
  digit: number;
  speaker: string;
  index: number;
  path: string;
  /** Mono samples at SPOKEN_DIGIT_RATE. */
  samples: Float32Array;
}

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (CLIP_NAME.test(e.name)) out.push(p);
  }
}

/**
 * Every [digit]_[speaker]_[index].wav under `dir` (recursively), resampled to 8 kHz, in path
 * order. `only` restricts the file names read.
 */
export function readSpokenDigitFolder(dir: string, o: { only?: Set<string> } = {}): SpokenClip[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new IOError(
      `spoken digits: ${dir} is not a folder; expected a folder of [digit]_[speaker]_[index].wav files (AudioMNIST / free-spoken-digit layout)`,
    );
  const paths: string[] = [];
  walk(dir, paths);
  const chosen = paths.filter((p) => !o.only || o.only.has(p.slice(p.lastIndexOf('/') + 1))).sort();
  if (!chosen.length) throw new IOError(`spoken digits: no [digit]_[speaker]_[index].wav file under ${dir} (for example 7_jackson_12.wav)`);
  return chosen.map((path) => {
    const m = CLIP_NAME.exec(path.slice(path.lastIndexOf('/') + 1))!;
    const audio = resample(readWav(path), SPOKEN_DIGIT_RATE);
    return { digit: Number(m[1]), speaker: m[2], index: Number(m[3]), path, samples: audio.samples };
  });
}

/** Speakers in name order; every 4th (the 4th, 8th, ...) is a test speaker: a 75 / 25 split by voice. */
export function splitBySpeaker(clips: SpokenClip[]): {
  train: SpokenClip[];
  test: SpokenClip[];
  trainSpeakers: string[];
  testSpeakers: string[];
} {
  const speakers = [...new Set(clips.map((c) => c.speaker))].sort();
  if (speakers.length < 2)
    throw new ArgumentError(
      `spoken digits: a split by speaker needs at least 2 speakers, found ${speakers.length} (${speakers.join(', ')})`,
    );
  const testSpeakers = speakers.filter((_, i) => i % 4 === 3 || (speakers.length < 4 && i === speakers.length - 1));
  const isTest = new Set(testSpeakers);
  return {
    train: clips.filter((c) => !isTest.has(c.speaker)),
    test: clips.filter((c) => isTest.has(c.speaker)),
    trainSpeakers: speakers.filter((s) => !isTest.has(s)),
    testSpeakers,
  };
}

export interface LogMelOptions {
  /** Samples per clip after cutting / zero-padding at the end; default 8000 (1 s at 8 kHz). */
  length?: number;
  nFft?: number;
  hop?: number;
  nMels?: number;
  device?: Device;
}

/** Log-mel spectrograms in dB of clips cut / zero-padded to one length: [N, 1, nMels, frames] (not normalised). */
export function logMelFeatures(clips: SpokenClip[], o: LogMelOptions = {}): Tensor {
  const length = o.length ?? SPOKEN_DIGIT_RATE;
  const signals = new Float32Array(clips.length * length);
  clips.forEach((c, i) => signals.set(c.samples.subarray(0, length), i * length));
  return tidy(() => {
    const x = ops.to(ops.tensor(signals, [clips.length, length]), o.device ?? 'cpu');
    const db = ops.logMelSpectrogram(x, {
      sampleRate: SPOKEN_DIGIT_RATE,
      nFft: o.nFft ?? 400,
      hop: o.hop,
      nMels: o.nMels ?? 128,
    });
    return ops.reshape(db, [clips.length, 1, db.shape[1], db.shape[2]]);
  });
}

export interface SpokenDigitSplit {
  /** Normalised log-mel [n, 1, nMels, frames] on the device. */
  x: Tensor;
  /** int32 digits [n]. */
  y: Tensor;
  labels: Int32Array;
  clips: SpokenClip[];
  n: number;
}

export interface SpokenDigits {
  train: SpokenDigitSplit;
  test: SpokenDigitSplit;
  trainSpeakers: string[];
  testSpeakers: string[];
  /** The folder read, and whether it is the espeak-ng synthetic set. */
  source: string;
  synthetic: boolean;
  /** Mean and standard deviation (dB) of the train log-mels, used to normalise both splits. */
  stats: { mean: number; std: number };
  dispose(): void;
}

export interface SpokenDigitOptions extends LogMelOptions {
  /** An AudioMNIST / free-spoken-digit folder; default: the espeak-ng synthetic set. */
  dataDir?: string;
  /** Which synthetic clips (default the full 3,000). */
  plan?: SyntheticPlan;
  /** Where the synthetic set is cached; default $NNLAB_CACHE or ~/.cache/nnlab. */
  cacheDir?: string;
  log?: (line: string) => void;
}

function meanStd(x: Tensor): { mean: number; std: number } {
  const v = x.data() as Float32Array;
  let s = 0,
    s2 = 0;
  for (const a of v) ((s += a), (s2 += a * a));
  const mean = s / v.length;
  return { mean, std: Math.sqrt(Math.max(s2 / v.length - mean * mean, 1e-12)) };
}

function toSplit(clips: SpokenClip[], feats: Tensor, stats: { mean: number; std: number }, device: Device): SpokenDigitSplit {
  const labels = Int32Array.from(clips.map((c) => c.digit));
  const x = tidy(() => ops.mul(ops.sub(feats, stats.mean), 1 / stats.std)).keep();
  return { x, y: ops.to(ops.tensor(labels, [labels.length]), device).keep(), labels, clips, n: clips.length };
}

/**
 * Loads spoken digits as normalised log-mel tensors split by speaker: the clips of `dataDir`, or
 * the espeak-ng synthetic set (synthesised into the cache on first use).
 */
export async function loadSpokenDigits(o: SpokenDigitOptions = {}): Promise<SpokenDigits> {
  let dir = o.dataDir;
  let only: Set<string> | undefined;
  if (!dir) {
    const plan = o.plan ?? FULL_SYNTHETIC_PLAN;
    dir = o.cacheDir ?? defaultSyntheticDir();
    await ensureSyntheticDigits(dir, plan, { log: o.log });
    only = new Set(syntheticClips(plan).map((c) => c.file));
  }
  const split = splitBySpeaker(readSpokenDigitFolder(dir, { only }));
  const device = o.device ?? 'cpu';
  const trainFeats = logMelFeatures(split.train, { ...o, device });
  const testFeats = logMelFeatures(split.test, { ...o, device });
  const stats = meanStd(trainFeats);
  const train = toSplit(split.train, trainFeats, stats, device);
  const test = toSplit(split.test, testFeats, stats, device);
  trainFeats.dispose();
  testFeats.dispose();
  return {
    train,
    test,
    trainSpeakers: split.trainSpeakers,
    testSpeakers: split.testSpeakers,
    source: dir,
    synthetic: !o.dataDir,
    stats,
    dispose() {
      [train.x, train.y, test.x, test.y].forEach((t) => t.dispose());
    },
  };
}
