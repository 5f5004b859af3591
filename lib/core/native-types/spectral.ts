// Typed surface of native/binding/ops_spectral.cpp.
import type { DeviceName, NativeTensor } from './core.js';

/**
 * Spectral features of float32 signals [L] or batches [B, L] (a 1-D input gives results without
 * the batch axis). Frames use a periodic Hann window of nFft samples; centred frames reflect-pad
 * the signal by nFft / 2 on both sides (torch.stft(center=True, pad_mode="reflect")), so there are
 * 1 + floor(L / hop) of them. None of these ops has a gradient.
 */
export interface SpectralOps {
  /** One-sided STFT as (re, im) pairs: [(B,) nFft / 2 + 1, frames, 2]. */
  stft(x: NativeTensor, nFft: number, hop: number, center: boolean): NativeTensor;
  /** |STFT|^2: [(B,) nFft / 2 + 1, frames]. */
  powerSpectrogram(x: NativeTensor, nFft: number, hop: number, center: boolean): NativeTensor;
  /**
   * torchaudio.functional.melscale_fbanks(nFreqs, fMin, fMax, nMels, sampleRate, norm=None,
   * mel_scale="htk"): [nFreqs, nMels]. fMax 0 means sampleRate // 2.
   */
  melFilterbank(nFreqs: number, nMels: number, sampleRate: number, fMin: number, fMax: number, device?: DeviceName): NativeTensor;
  /** fb^T spec: spectrogram [(B,) bins, T] and filter bank [bins, mels] -> [(B,) mels, T]. */
  melScale(spec: NativeTensor, fb: NativeTensor): NativeTensor;
  /** torchaudio.transforms.MelSpectrogram (power 2, HTK, no norm): [(B,) nMels, frames]. */
  melSpectrogram(
    x: NativeTensor,
    nFft: number,
    hop: number,
    center: boolean,
    nMels: number,
    sampleRate: number,
    fMin: number,
    fMax: number,
  ): NativeTensor;
  /** 10 log10(max(x, amin)); with topDb > 0 each item (first axis of a 3-D+ tensor) is floored at its max - topDb. */
  powerToDb(x: NativeTensor, amin: number, topDb: number): NativeTensor;
}
