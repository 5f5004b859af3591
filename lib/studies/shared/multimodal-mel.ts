// Log-mel features as torchaudio's MelSpectrogram defaults compute them (n_fft 400, hop 200,
// periodic Hann window, centred frames with reflect padding, power 2, HTK mel scale from 0 Hz
// to the Nyquist frequency, no filter normalisation), then 10*log10 with a 1e-10 floor as
// AmplitudeToDB. The DFT is a matmul with the windowed cos / sin matrices: small clips only;
// the audio branch's native STFT / mel ops take its place.
import { ops, tensor, tidy } from '../../index.js';

export interface MelSettings {
  nFft: number;
  hop: number;
  mels: number;
  /** Windowed DFT, real and imaginary parts [nFft, nFft / 2 + 1]. */
  cos: Float32Array;
  sin: Float32Array;
  /** Mel filter bank [nFft / 2 + 1, mels]. */
  fbank: Float32Array;
  /** The dB value of silence (the floor). */
  floorDb: number;
}

const hzToMel = (f: number) => 2595 * Math.log10(1 + f / 700);
const melToHz = (m: number) => 700 * (10 ** (m / 2595) - 1);

/** torchaudio.functional.melscale_fbanks(n_freqs, 0, sr / 2, mels, sr, norm=None, mel_scale='htk'). */
export function melFilterBank(nFreq: number, mels: number, sampleRate: number): Float32Array {
  const fMax = sampleRate / 2;
  const mMax = hzToMel(fMax);
  const fPts = Array.from({ length: mels + 2 }, (_, i) => melToHz((mMax * i) / (mels + 1)));
  const fb = new Float32Array(nFreq * mels);
  for (let k = 0; k < nFreq; k++) {
    const f = (fMax * k) / (nFreq - 1);
    for (let m = 0; m < mels; m++) {
      const down = (f - fPts[m]) / (fPts[m + 1] - fPts[m]);
      const up = (fPts[m + 2] - f) / (fPts[m + 2] - fPts[m + 1]);
      fb[k * mels + m] = Math.max(0, Math.min(down, up));
    }
  }
  return fb;
}

export function logMelMatrices(sampleRate: number, nFft = 400, hop = 200, mels = 128): MelSettings {
  const nFreq = nFft / 2 + 1;
  const cos = new Float32Array(nFft * nFreq),
    sin = new Float32Array(nFft * nFreq);
  for (let t = 0; t < nFft; t++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / nFft);
    for (let k = 0; k < nFreq; k++) {
      const a = (2 * Math.PI * ((t * k) % nFft)) / nFft;
      cos[t * nFreq + k] = w * Math.cos(a);
      sin[t * nFreq + k] = -w * Math.sin(a);
    }
  }
  return { nFft, hop, mels, cos, sin, fbank: melFilterBank(nFreq, mels, sampleRate), floorDb: -100 };
}

const reflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);

/** Log-mel (dB) of n clips of `len` samples each: [n, mels, frames] row-major. */
export function logMelOf(waves: Float32Array, n: number, len: number, s: MelSettings, chunk = 128): Float32Array {
  const frames = 1 + Math.floor(len / s.hop),
    nFreq = s.nFft / 2 + 1,
    half = s.nFft / 2;
  const out = new Float32Array(n * s.mels * frames);
  const cos = tensor(s.cos, [s.nFft, nFreq]),
    sin = tensor(s.sin, [s.nFft, nFreq]),
    fb = tensor(s.fbank, [nFreq, s.mels]);
  for (let lo = 0; lo < n; lo += chunk) {
    const m = Math.min(chunk, n - lo);
    const framed = new Float32Array(m * frames * s.nFft);
    for (let c = 0; c < m; c++) {
      const wave = waves.subarray((lo + c) * len, (lo + c + 1) * len);
      for (let f = 0; f < frames; f++) {
        const row = (c * frames + f) * s.nFft;
        for (let t = 0; t < s.nFft; t++) framed[row + t] = wave[reflect(f * s.hop + t - half, len)];
      }
    }
    const db = tidy(() => {
      const x = tensor(framed, [m * frames, s.nFft]);
      const power = ops.add(ops.square(ops.matmul(x, cos)), ops.square(ops.matmul(x, sin)));
      return ops.affine(ops.log(ops.clamp(ops.matmul(power, fb), 1e-10)), 10 / Math.LN10, 0).data() as Float32Array;
    });
    // Rows are (clip, frame) x mel; the features are clip x mel x frame.
    for (let c = 0; c < m; c++)
      for (let f = 0; f < frames; f++)
        for (let b = 0; b < s.mels; b++) out[((lo + c) * s.mels + b) * frames + f] = db[(c * frames + f) * s.mels + b];
  }
  [cos, sin, fb].forEach((t) => t.dispose());
  return out;
}
