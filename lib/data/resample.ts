// Band-limited resampling of mono audio: windowed-sinc interpolation with the cut-off at the
// lower of the two Nyquist frequencies, so downsampling (22.05 kHz speech to 8 kHz) does not
// alias. wavefile's own toSampleRate takes about a second per second of audio here, too slow
// for thousands of clips; this costs a few milliseconds.
import { ArgumentError } from '../core/errors.js';
import type { Audio } from './wav.js';

/** Zero crossings of the sinc kept on each side of a tap (at the output's bandwidth). */
const HALF_WIDTH = 16;

/** Samples of the tapered sinc per zero crossing in the lookup table (linear interpolation between). */
const TABLE_STEPS = 512;

// The Hann-tapered sinc on [0, HALF_WIDTH], tabulated once: the taps then cost a lookup instead
// of a sine and a cosine each.
const KERNEL = (() => {
  const t = new Float64Array(HALF_WIDTH * TABLE_STEPS + 2);
  for (let i = 0; i < t.length; i++) {
    const x = i / TABLE_STEPS;
    if (x >= HALF_WIDTH) continue;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    t[i] = sinc * (0.5 + 0.5 * Math.cos((Math.PI * x) / HALF_WIDTH));
  }
  return t;
})();

function kernel(d: number): number {
  const u = Math.abs(d) * TABLE_STEPS;
  const i = Math.floor(u);
  if (i >= KERNEL.length - 1) return 0;
  return KERNEL[i] + (u - i) * (KERNEL[i + 1] - KERNEL[i]);
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
    const lo = Math.max(0, Math.ceil(t - reach)),
      hi = Math.min(x.length - 1, Math.floor(t + reach));
    let acc = 0;
    for (let j = lo; j <= hi; j++) {
      const d = (t - j) * cutoff;
      acc += x[j] * kernel(d);
    }
    out[i] = acc * cutoff;
  }
  return { samples: out, sampleRate };
}
