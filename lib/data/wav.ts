// WAV files through the wavefile library: decoding to float samples in [-1, 1], writing 16-bit
// PCM, and resampling. A file that is not a RIFF/WAVE file, is truncated, or holds compressed
// audio (A-law, mu-law, ADPCM...) is refused with an IOError naming the file and the problem.
import { readFileSync, writeFileSync } from 'node:fs';

import wavefile from 'wavefile';

import { ArgumentError, IOError } from '../core/errors.js';

const { WaveFile } = wavefile;

/** Decoded mono audio: samples in [-1, 1] at sampleRate Hz. */
export interface Audio {
  samples: Float32Array;
  sampleRate: number;
}

// fmt audioFormat codes: integer PCM, IEEE float, and WAVE_FORMAT_EXTENSIBLE (checked by bit depth).
const PCM = 1;
const IEEE_FLOAT = 3;
const EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = {
  2: 'Microsoft ADPCM',
  6: 'A-law',
  7: 'mu-law',
  17: 'IMA ADPCM',
  85: 'MP3',
};

function parse(bytes: Uint8Array, source: string): InstanceType<typeof WaveFile> {
  try {
    return new WaveFile(bytes);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new IOError(`readWav: ${source} is not a readable WAV file (${reason}); expected a RIFF/WAVE file with PCM samples`);
  }
}

/** Decodes WAV bytes (PCM 8/16/24/32-bit or 32/64-bit float) to mono float samples, averaging channels. */
export function decodeWav(bytes: Uint8Array, source = 'the buffer'): Audio {
  const wav = parse(bytes, source);
  const fmt = wav.fmt as { audioFormat: number; bitsPerSample: number; sampleRate: number; numChannels: number };
  const format = fmt.audioFormat;
  if (format !== PCM && format !== IEEE_FLOAT && format !== EXTENSIBLE) {
    const name = FORMAT_NAMES[format] ?? `format code ${format}`;
    throw new IOError(`readWav: ${source} holds ${name} audio; only uncompressed PCM (integer or float) WAV is supported`);
  }
  const bits = fmt.bitsPerSample;
  const isFloat = format === IEEE_FLOAT || (format === EXTENSIBLE && bits === 64);
  if (!(isFloat ? [32, 64] : [8, 16, 24, 32]).includes(bits))
    throw new IOError(`readWav: ${source} has ${bits}-bit ${isFloat ? 'float' : 'integer'} samples, which is not a PCM depth nnlab reads`);
  if (!(fmt.sampleRate > 0) || !(fmt.numChannels > 0))
    throw new IOError(`readWav: ${source} has a broken fmt chunk (sample rate ${fmt.sampleRate}, ${fmt.numChannels} channels)`);
  const data = (wav as unknown as { data: { samples: Uint8Array } }).data.samples;
  if (data.length === 0) throw new IOError(`readWav: ${source} has an empty data chunk (no samples)`);
  let raw: Float64Array | Float64Array[];
  try {
    raw = wav.getSamples(false, Float64Array) as Float64Array | Float64Array[];
  } catch (e) {
    throw new IOError(`readWav: ${source}: cannot decode the samples (${e instanceof Error ? e.message : String(e)})`);
  }
  const channels = Array.isArray(raw) ? raw : [raw];
  const n = channels[0].length;
  // Integer PCM to [-1, 1): 8-bit WAV is unsigned around 128, wider depths are signed.
  const offset = !isFloat && bits === 8 ? 128 : 0;
  const scale = isFloat ? 1 : 1 / 2 ** (bits - 1);
  const samples = new Float32Array(n);
  for (const ch of channels) for (let i = 0; i < n; i++) samples[i] += ((ch[i] - offset) * scale) / channels.length;
  return { samples, sampleRate: fmt.sampleRate };
}

/** Reads a WAV file as mono float samples. */
export function readWav(path: string): Audio {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new IOError(`readWav: cannot read ${path} (${e instanceof Error ? e.message : String(e)})`);
  }
  return decodeWav(bytes, path);
}

/**
 * Encodes mono samples in [-1, 1] as 16-bit PCM WAV bytes (values outside are clipped). No
 * samples is an ArgumentError: decodeWav refuses such a file, so it is never written.
 */
export function encodeWav(audio: Audio): Uint8Array {
  if (audio.samples.length === 0)
    throw new ArgumentError('encodeWav: no samples (a WAV file with an empty data chunk cannot be read back)');
  if (!(Number.isInteger(audio.sampleRate) && audio.sampleRate > 0))
    throw new ArgumentError(`encodeWav: the sample rate must be a positive integer, got ${audio.sampleRate}`);
  const ints = new Int16Array(audio.samples.length);
  for (let i = 0; i < ints.length; i++) ints[i] = Math.round(Math.max(-1, Math.min(1, audio.samples[i])) * 32767);
  const wav = new WaveFile();
  wav.fromScratch(1, audio.sampleRate, '16', ints);
  return wav.toBuffer();
}

export function writeWav(path: string, audio: Audio): void {
  writeFileSync(path, encodeWav(audio));
}
