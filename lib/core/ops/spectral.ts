// Spectral features: STFT, power spectrogram, mel filter bank, mel and log-mel spectrograms,
// with torchaudio's conventions and defaults (MelSpectrogram: nFft 400, hop nFft / 2, 128 HTK mel
// bands without norm, power 2, centred frames with reflect padding). They compute model inputs, so
// they have no gradient: a signal that requires one is refused rather than silently cut off.
import { ArgumentError } from '../errors.js';
import { native } from '../native.js';
import type { DeviceName } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';

export interface StftOptions {
  /** Frame (and FFT) length in samples; default 400. */
  nFft?: number;
  /** Samples between frame starts; default nFft / 2 (torchaudio's win_length // 2). */
  hop?: number;
  /** Centre frames on t * hop with reflect padding (default true, as torch.stft). */
  center?: boolean;
}

export interface MelOptions extends StftOptions {
  sampleRate: number;
  /** Mel bands; default 128. */
  nMels?: number;
  /** Lowest and highest filter frequencies in Hz; defaults 0 and sampleRate // 2. */
  fMin?: number;
  fMax?: number;
}

export interface DbOptions {
  /** Floor of the power before the logarithm; default 1e-10 (torchaudio's AmplitudeToDB). */
  amin?: number;
  /** When set, each item is floored at its own maximum minus topDb decibels. */
  topDb?: number;
}

function signalHandle(x: Tensor, op: string) {
  if (x.requiresGrad) throw new ArgumentError(`${op}: spectral features have no gradient, but the signal requires one; pass x.detach()`);
  return x.handle;
}

function frameOptions(opts: StftOptions): [number, number, boolean] {
  const nFft = opts.nFft ?? 400;
  return [nFft, opts.hop ?? Math.floor(nFft / 2), opts.center ?? true];
}

/** One-sided STFT of x [L] or [B, L] with a periodic Hann window: [(B,) nFft/2+1, frames, 2] (re, im). */
export function stft(x: Tensor, opts: StftOptions = {}): Tensor {
  return fromHandle(native.stft(signalHandle(x, 'stft'), ...frameOptions(opts)));
}

/** |STFT(x)|^2: [(B,) nFft/2+1, frames]. */
export function powerSpectrogram(x: Tensor, opts: StftOptions = {}): Tensor {
  return fromHandle(native.powerSpectrogram(signalHandle(x, 'powerSpectrogram'), ...frameOptions(opts)));
}

/** The torchaudio mel filter bank (HTK scale, no norm): [nFreqs, nMels]. */
export function melFilterbank(opts: {
  nFreqs: number;
  nMels?: number;
  sampleRate: number;
  fMin?: number;
  fMax?: number;
  device?: DeviceName;
}): Tensor {
  return fromHandle(native.melFilterbank(opts.nFreqs, opts.nMels ?? 128, opts.sampleRate, opts.fMin ?? 0, opts.fMax ?? 0, opts.device));
}

/** Projects a power spectrogram [(B,) bins, T] on a filter bank [bins, mels]: [(B,) mels, T]. */
export function melScale(spec: Tensor, fb: Tensor): Tensor {
  return fromHandle(native.melScale(signalHandle(spec, 'melScale'), fb.handle));
}

/** torchaudio.transforms.MelSpectrogram(sampleRate, ...) of x [L] or [B, L]: [(B,) nMels, frames]. */
export function melSpectrogram(x: Tensor, opts: MelOptions): Tensor {
  const [nFft, hop, center] = frameOptions(opts);
  return fromHandle(
    native.melSpectrogram(
      signalHandle(x, 'melSpectrogram'),
      nFft,
      hop,
      center,
      opts.nMels ?? 128,
      opts.sampleRate,
      opts.fMin ?? 0,
      opts.fMax ?? 0,
    ),
  );
}

/** torchaudio AmplitudeToDB(stype="power"): 10 log10(max(x, amin)), optionally floored at max - topDb per item. */
export function powerToDb(x: Tensor, opts: DbOptions = {}): Tensor {
  return fromHandle(native.powerToDb(signalHandle(x, 'powerToDb'), opts.amin ?? 1e-10, opts.topDb ?? 0));
}

/** Log-mel spectrogram in decibels: powerToDb(melSpectrogram(x)). */
export function logMelSpectrogram(x: Tensor, opts: MelOptions & DbOptions): Tensor {
  const mel = melSpectrogram(x, opts);
  const db = powerToDb(mel, opts);
  mel.dispose();
  return db;
}
