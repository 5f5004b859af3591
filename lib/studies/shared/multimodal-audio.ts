// The spoken-digit side of the multimodal study: a synthetic spoken-digit set generated with
// Debian's espeak-ng (voices x speeds x pitches), cached as AudioMNIST-style WAV files
// `[digit]_[voice]_[index].wav`, read with `wavefile`, resampled to 8 kHz, and turned into log-mel
// features [N, 1, mels, frames] by the native spectral ops (multimodal-mel.ts).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';

import { ArgumentError, IOError, ops, tensor, Tensor, tidy } from '../../index.js';
import { logMelMatrices, logMelOf, MelSettings } from './multimodal-mel.js';

export interface SpokenDigitSplit {
  /** Normalised log-mel features [n, 1, mels, frames] (float32, CPU). */
  x: Tensor;
  labels: Int32Array;
  /** The voice (speaker) of each clip. */
  voices: string[];
  /** The 8 kHz waveforms [n * samples], for figures. */
  waves: Float32Array;
  n: number;
}

/** What the multimodal study needs from spoken digits (the audio branch can supply it too). */
export interface SpokenDigitSet {
  train: SpokenDigitSplit;
  test: SpokenDigitSplit;
  sampleRate: number;
  samples: number;
  mels: number;
  frames: number;
  /** The log-mel value of a silent clip after normalisation (what "blank audio" is). */
  silence: number;
  source: string;
  dispose(): void;
}

export interface SpokenDigitSpec {
  /** espeak-ng voices, e.g. 'en-us+m3'; one speaker each. */
  trainVoices: string[];
  /** Voices held out for testing (unseen speakers). */
  testVoices: string[];
  /** espeak-ng speeds in words per minute. */
  speeds: number[];
  /** espeak-ng pitches, 0..99. */
  pitches: number[];
}

// wavefile is CommonJS: its class comes from the default export.
const { WaveFile } = wavefile;

export const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

export const SAMPLE_RATE = 8000;

/** Clips are trimmed of leading silence and padded or cut to one second. */
export const CLIP_SAMPLES = SAMPLE_RATE;

export function defaultCacheDir(): string {
  return process.env.NNLAB_CACHE_DIR
    ? join(process.env.NNLAB_CACHE_DIR, 'spoken-digits')
    : join(homedir(), '.cache', 'nnlab', 'spoken-digits');
}

// The AudioMNIST index of a clip encodes its speed and pitch, so a preset that uses part of
// another's grid reuses its cached files.
const clipName = (digit: number, voice: string, speed: number, pitch: number) => `${digit}_${voice}_${speed * 100 + pitch}.wav`;

interface Clip {
  file: string;
  digit: number;
  voice: string;
  speed: number;
  pitch: number;
}

function clipsOf(voices: string[], spec: SpokenDigitSpec, dir: string): Clip[] {
  const out: Clip[] = [];
  for (const voice of voices) {
    if (!/^[a-z0-9+-]+$/.test(voice)) throw new ArgumentError(`spoken digits: voice '${voice}' must be an espeak-ng voice like 'en-us+m3'`);
    for (const speed of spec.speeds)
      for (const pitch of spec.pitches) {
        if (!(Number.isInteger(speed) && speed >= 80 && speed <= 450))
          throw new ArgumentError(`spoken digits: speed must be an integer in [80, 450] words per minute, got ${speed}`);
        if (!(Number.isInteger(pitch) && pitch >= 0 && pitch <= 99))
          throw new ArgumentError(`spoken digits: pitch must be an integer in [0, 99], got ${pitch}`);
        for (let digit = 0; digit < 10; digit++)
          out.push({ file: join(dir, clipName(digit, voice, speed, pitch)), digit, voice, speed, pitch });
      }
  }
  return out;
}

function synthesise(c: Clip): Promise<void> {
  const tmp = `${c.file}.${process.pid}.tmp`;
  return new Promise((resolve, reject) => {
    const p = spawn('espeak-ng', ['-v', c.voice, '-s', String(c.speed), '-p', String(c.pitch), '-w', tmp, DIGIT_WORDS[c.digit]], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', (e) =>
      reject(new IOError(`spoken digits: cannot run espeak-ng (${e.message}); install it with apt-get install espeak-ng`)),
    );
    p.on('close', (code) => {
      if (code !== 0) return reject(new IOError(`spoken digits: espeak-ng -v ${c.voice} failed (exit ${code}): ${stderr.trim()}`));
      renameSync(tmp, c.file);
      resolve();
    });
  });
}

/** Runs espeak-ng for the missing clips, a few processes at a time (each is mostly start-up). */
async function generate(missing: Clip[], dir: string, log: (line: string) => void, parallel = 4): Promise<void> {
  let next = 0,
    done = 0;
  const worker = async () => {
    while (next < missing.length) {
      await synthesise(missing[next++]);
      if (++done % 100 === 0 || done === missing.length)
        log(`spoken digits: generated ${done}/${missing.length} clips with espeak-ng into ${dir}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, missing.length) }, worker));
}

/** A WAV file's first channel as float samples in [-1, 1] at 8 kHz. */
export function readWav8k(file: string): Float32Array {
  let wav: InstanceType<typeof WaveFile>;
  try {
    wav = new WaveFile(readFileSync(file));
  } catch (e) {
    throw new IOError(`${file}: not a readable WAV file (${(e as Error).message})`);
  }
  type Fmt = { audioFormat: number; sampleRate: number; bitsPerSample: number };
  const fmt = wav.fmt as Fmt;
  if (fmt.audioFormat !== 1) throw new IOError(`${file}: expected PCM audio (format 1), got format ${fmt.audioFormat}`);
  // Cubic interpolation after wavefile's IIR low-pass, so nothing above 4 kHz folds back.
  if (fmt.sampleRate !== SAMPLE_RATE) wav.toSampleRate(SAMPLE_RATE, { method: 'cubic', LPF: true, LPFType: 'IIR' });
  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const ch = Array.isArray(raw) ? raw[0] : raw;
  // Resampling replaces the fmt chunk object: read the bit depth afterwards.
  const scale = 2 ** ((wav.fmt as Fmt).bitsPerSample - 1);
  return Float32Array.from(ch, (v) => v / scale);
}

/** Starts the clip at its first sample above 1% of the peak and pads or cuts it to CLIP_SAMPLES. */
export function fitClip(wave: Float32Array): Float32Array {
  let peak = 0;
  for (const v of wave) peak = Math.max(peak, Math.abs(v));
  let start = 0;
  while (start < wave.length && Math.abs(wave[start]) < 0.01 * peak) start++;
  const out = new Float32Array(CLIP_SAMPLES);
  out.set(wave.subarray(start, start + CLIP_SAMPLES));
  return out;
}

function readSplit(clips: Clip[], mel: MelSettings): { feats: Float32Array; waves: Float32Array } {
  const waves = new Float32Array(clips.length * CLIP_SAMPLES);
  clips.forEach((c, i) => waves.set(fitClip(readWav8k(c.file)), i * CLIP_SAMPLES));
  return { feats: logMelOf(waves, clips.length, CLIP_SAMPLES, mel), waves };
}

/**
 * Generates (once, into the cache folder) and loads the spoken-digit set of `spec`, split by
 * voice; features are normalised with the train split's mean and standard deviation.
 */
export async function loadSpokenDigits(
  spec: SpokenDigitSpec,
  o: { cacheDir?: string; log: (line: string) => void },
): Promise<SpokenDigitSet> {
  for (const v of spec.testVoices)
    if (spec.trainVoices.includes(v)) throw new ArgumentError(`spoken digits: voice '${v}' is in both the train and the test voices`);
  const dir = o.cacheDir ?? defaultCacheDir();
  mkdirSync(dir, { recursive: true });
  const train = clipsOf(spec.trainVoices, spec, dir),
    test = clipsOf(spec.testVoices, spec, dir);
  const missing = [...train, ...test].filter((c) => !existsSync(c.file));
  await generate(missing, dir, o.log);
  const mel = logMelMatrices(SAMPLE_RATE);
  o.log(`spoken digits: reading ${train.length} train and ${test.length} test clips, log-mel ${mel.mels} bands`);
  const tr = readSplit(train, mel),
    te = readSplit(test, mel);
  const frames = tr.feats.length / (train.length * mel.mels);
  let mean = 0,
    sq = 0;
  for (const v of tr.feats) mean += v;
  mean /= tr.feats.length;
  for (const v of tr.feats) sq += (v - mean) ** 2;
  const std = Math.sqrt(sq / tr.feats.length) || 1;
  const split = (clips: Clip[], r: { feats: Float32Array; waves: Float32Array }): SpokenDigitSplit => ({
    x: tidy(() => ops.affine(tensor(r.feats, [clips.length, 1, mel.mels, frames]), 1 / std, -mean / std)).keep(),
    labels: Int32Array.from(clips, (c) => c.digit),
    voices: clips.map((c) => c.voice),
    waves: r.waves,
    n: clips.length,
  });
  const s = { train: split(train, tr), test: split(test, te) };
  return {
    ...s,
    sampleRate: SAMPLE_RATE,
    samples: CLIP_SAMPLES,
    mels: mel.mels,
    frames,
    silence: (mel.floorDb - mean) / std,
    source: `espeak-ng synthetic spoken digits in ${dir}`,
    dispose() {
      s.train.x.dispose();
      s.test.x.dispose();
    },
  };
}
