// Band-limited resampling of mono audio: windowed-sinc interpolation with the cut-off at the
// lower of the two Nyquist frequencies, so downsampling (22.05 kHz speech to 8 kHz) does not
// alias. wavefile's own toSampleRate takes about a second per second of audio here, too slow
// for thousands of clips; this costs a few milliseconds.
import { ArgumentError } from '../core/errors.js';
import type { Audio } from './wav.js';

/** Zero crossings of the sinc kept on each side of a tap (at the output's bandwidth). */
const HALF_WIDTH = 16;

function hannTaper(x: number, halfWidth: number): number {
  return Math.abs(x) >= halfWidth ? 0 : 0.5 + 0.5 * Math.cos((Math.PI * x) / halfWidth);
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Resamples to `sampleRate` Hz (identity when the rates match). */
export function resample(audio: Audio, sampleRate: number): Audio {
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate))
    throw new ArgumentError(`resample: the target sample rate must be a positive number of Hz, got ${sampleRate}`);
  if (audio.sampleRate === sampleRate) return audio;
  const x = audio.samples;
  const ratio = audio.sampleRate / sampleRate; // input samples per output sample
  const cutoff = Math.min(1, 1 / ratio); // as a fraction of the input Nyquist
  const reach = HALF_WIDTH / cutoff; // input samples on each side of a tap
  const n = Math.floor((x.length * sampleRate) / audio.sampleRate);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * ratio;
    const lo = Math.max(0, Math.ceil(t - reach)), hi = Math.min(x.length - 1, Math.floor(t + reach));
    let acc = 0;
    for (let j = lo; j <= hi; j++) {
      const d = (t - j) * cutoff;
      acc += x[j] * sinc(d) * hannTaper(d, HALF_WIDTH);
    }
    out[i] = acc * cutoff;
  }
  return { samples: out, sampleRate };
}
