// The spectral ops (STFT, power spectrogram, mel filter bank, mel spectrogram, power to dB):
// the mixed-radix FFT against a float64 naive DFT for many frame lengths, parity with torch.stft
// and torchaudio's MelSpectrogram (fixtures from scripts/fixtures/spectral.py), and the errors.
import { describe, expect, it } from 'vitest';

import { ArgumentError, io, ops, ShapeError, Tensor } from '../../lib/index.js';
import { expectClose, randomArray, testDevices } from '../support/native.js';

const FIXTURE = 'test/fixtures/spectral_parity.safetensors';

/** One-sided DFT of the Hann-windowed, reflect-padded frames of x, in float64: [bins, frames, 2]. */
function naiveStft(x: Float32Array, nFft: number, hop: number, center: boolean): Float64Array {
  const L = x.length,
    bins = Math.floor(nFft / 2) + 1;
  const frames = center ? 1 + Math.floor(L / hop) : 1 + Math.floor((L - nFft) / hop);
  const out = new Float64Array(bins * frames * 2);
  const reflect = (i: number) => (i < 0 ? -i : i >= L ? 2 * (L - 1) - i : i);
  for (let t = 0; t < frames; t++) {
    const start = t * hop - (center ? Math.floor(nFft / 2) : 0);
    const frame = Array.from({ length: nFft }, (_, j) => x[reflect(start + j)] * (0.5 - 0.5 * Math.cos((2 * Math.PI * j) / nFft)));
    for (let k = 0; k < bins; k++) {
      let re = 0,
        im = 0;
      for (let j = 0; j < nFft; j++) {
        const a = (-2 * Math.PI * ((k * j) % nFft)) / nFft;
        re += frame[j] * Math.cos(a);
        im += frame[j] * Math.sin(a);
      }
      out[(k * frames + t) * 2] = re;
      out[(k * frames + t) * 2 + 1] = im;
    }
  }
  return out;
}

/** max |a - b| over max |b|: the error relative to the output's scale. */
function scaleError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0,
    peak = 0;
  for (let i = 0; i < b.length; i++) ((err = Math.max(err, Math.abs(a[i] - b[i]))), (peak = Math.max(peak, Math.abs(b[i]))));
  return err / peak;
}

const f32 = (t: Tensor) => t.to('cpu').data() as Float32Array;

describe.each(testDevices())('spectral ops on %s', (device) => {
  const { tensors: fx } = io.loadSafetensors(FIXTURE);
  const get = (name: string) => fx.get(name)!;
  const x = get('x').to(device);

  it('the FFT equals a naive DFT for radix-2, 3, 4, 5, prime and mixed frame lengths', () => {
    for (const nFft of [2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 25, 30, 49, 64, 97, 100, 128, 210, 400, 512, 1009]) {
      const length = Math.max(nFft + 3, 2 * nFft - 1);
      const sig = randomArray(length, nFft);
      const hop = Math.max(1, Math.floor(nFft / 3));
      for (const center of [true, false]) {
        const got = f32(ops.stft(ops.tensor(sig, [length], { device }), { nFft, hop, center }));
        const want = naiveStft(sig, nFft, hop, center);
        // The CPU's float32 FFT errs by about log(n) ulps of the frame's energy; the CUDA kernel
        // is a direct DFT, whose sums of n terms err by about sqrt(n) ulps.
        expect(scaleError(got, want), `nFft ${nFft} center ${center}`).toBeLessThan(device === 'cpu' ? 2e-6 : 1e-5);
      }
    }
  });

  it('odd frame counts: the last frame of a pair is exact too', () => {
    const sig = randomArray(301, 7);
    for (const hop of [50, 60, 100]) {
      const got = f32(ops.stft(ops.tensor(sig, [1, 301], { device }), { nFft: 64, hop }));
      expect(scaleError(got, naiveStft(sig, 64, hop, true))).toBeLessThan(2e-6);
    }
  });

  it('matches torch.stft (periodic Hann, reflect padding) to 1e-4 relative', () => {
    const got = ops.stft(x, { nFft: 400, hop: 200 });
    expect(got.shape).toEqual([2, 201, 14, 2]);
    expectClose(f32(got), get('stft').data() as Float32Array, 1e-4, 1e-6 * 60, 'stft');
    const odd = ops.stft(
      ops.tensor(Float32Array.from([...f32(x).subarray(0, 500), ...f32(x).subarray(2779, 3279)]), [2, 500], { device }),
      {
        nFft: 97,
        hop: 31,
        center: false,
      },
    );
    expect(odd.shape).toEqual([2, 49, 14, 2]);
    expectClose(f32(odd), get('odd_stft').data() as Float32Array, 1e-4, 1e-6, 'uncentred prime-length stft');
  });

  it('the mel filter bank equals torchaudio melscale_fbanks (HTK, no norm)', () => {
    const fb = ops.melFilterbank({ nFreqs: 201, nMels: 128, sampleRate: 8000, device });
    expect(fb.shape).toEqual([201, 128]);
    // Against torchaudio's own formula evaluated in float64: to float32 rounding.
    expectClose(f32(fb), get('fb64').data() as Float32Array, 1e-6, 1e-7, 'fb vs float64 pipeline');
    // Against the float32 values torchaudio returns: its float32 linspace / pow round the small
    // weights at the triangle edges (1e-3 relative there), so the bound is on the bank's scale.
    expect(scaleError(f32(fb), get('fb').data() as Float32Array)).toBeLessThan(1e-4);
    const small = ops.melFilterbank({ nFreqs: 49, nMels: 20, sampleRate: 16000, fMin: 50, fMax: 3000, device });
    expect(scaleError(f32(small), get('small_fb').data() as Float32Array)).toBeLessThan(1e-4);
  });

  it('melSpectrogram and powerToDb match torchaudio MelSpectrogram + AmplitudeToDB to 1e-4 relative', () => {
    const mel = ops.melSpectrogram(x, { sampleRate: 8000 });
    expect(mel.shape).toEqual([2, 128, 14]); // the report's [1, 128, 14] for a 2,779-sample clip
    const melPeak = Math.max(...(get('mel').data() as Float32Array));
    expectClose(f32(mel), get('mel').data() as Float32Array, 1e-4, 1e-6 * melPeak, 'mel vs torch float32');
    expectClose(f32(mel), get('mel64').data() as Float32Array, 1e-5, 1e-7 * melPeak, 'mel vs float64 pipeline');
    const db = ops.logMelSpectrogram(x, { sampleRate: 8000 });
    expect(scaleError(f32(db), get('db').data() as Float32Array)).toBeLessThan(1e-4);
    // melScale of a power spectrogram is the same product.
    const fb = ops.melFilterbank({ nFreqs: 201, sampleRate: 8000, device });
    expectClose(f32(ops.melScale(ops.powerSpectrogram(x), fb)), f32(mel), 1e-5, 1e-7 * melPeak, 'melScale');
  });

  it('powerToDb floors and clips to topDb per item', () => {
    const p = ops.tensor(Float32Array.from([1, 1e-3, 0, 100, 1e-12, 10]), [2, 1, 3], { device });
    expectClose(f32(ops.powerToDb(p)), [0, -30, -100, 20, -100, 10], 0, 1e-4);
    expectClose(f32(ops.powerToDb(p, { topDb: 25 })), [0, -25, -25, 20, -5, 10], 0, 1e-4);
  });

  it('rejects bad input with typed errors that name the shapes', () => {
    const short = ops.tensor(new Float32Array(150), [150], { device });
    expect(() => ops.stft(short, { nFft: 400 })).toThrow(ShapeError);
    expect(() => ops.stft(short, { nFft: 400 })).toThrow(/length 150/);
    expect(() => ops.stft(ops.tensor(new Float32Array(8), [2, 2, 2], { device }))).toThrow(/\[L\] or a batch of signals \[B, L\]/);
    expect(() => ops.melSpectrogram(x, { sampleRate: 8000, fMin: 5000 })).toThrow(ArgumentError);
    expect(() => ops.melSpectrogram(x, { sampleRate: -1 })).toThrow(/sampleRate/);
    const fb = ops.melFilterbank({ nFreqs: 100, sampleRate: 8000, device });
    expect(() => ops.melScale(ops.powerSpectrogram(x), fb)).toThrow(/201 frequency bins.*expects 100/);
    const leaf = ops.tensor(new Float32Array(1000), [1000], { device }).requiresGrad_();
    expect(() => ops.melSpectrogram(leaf, { sampleRate: 8000 })).toThrow(/no gradient/);
  });
});
