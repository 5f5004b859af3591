// Log-mel features as torchaudio's MelSpectrogram defaults compute them (n_fft 400, hop 200,
// periodic Hann window, centred frames with reflect padding, power 2, HTK mel scale from 0 Hz
// to the Nyquist frequency, no filter normalisation), then AmplitudeToDB's 10*log10 with a 1e-10
// floor: the native spectral ops (ops.logMelSpectrogram), a batch of clips per call.
import { ops, tensor, tidy } from '../../index.js';

export interface MelSettings {
  sampleRate: number;
  nFft: number;
  hop: number;
  mels: number;
  /** The dB value of silence (the floor). */
  floorDb: number;
}

export function logMelMatrices(sampleRate: number, nFft = 400, hop = 200, mels = 128): MelSettings {
  return { sampleRate, nFft, hop, mels, floorDb: -100 };
}

/** Log-mel (dB) of n clips of `len` samples each: [n, mels, frames] row-major. */
export function logMelOf(waves: Float32Array, n: number, len: number, s: MelSettings, chunk = 256): Float32Array {
  const frames = 1 + Math.floor(len / s.hop);
  const out = new Float32Array(n * s.mels * frames);
  for (let lo = 0; lo < n; lo += chunk) {
    const m = Math.min(chunk, n - lo);
    const db = tidy(
      () =>
        ops
          .logMelSpectrogram(tensor(waves.subarray(lo * len, (lo + m) * len), [m, len]), {
            sampleRate: s.sampleRate,
            nFft: s.nFft,
            hop: s.hop,
            nMels: s.mels,
            amin: 1e-10,
          })
          .data() as Float32Array,
    );
    out.set(db, lo * s.mels * frames);
  }
  return out;
}
