// WAV reading / writing (wavefile), the resampler, and the spoken-digit folder loader: round
// trips at every PCM depth, clear IOErrors for corrupt and compressed files, band-limited
// resampling, and an AudioMNIST-layout folder read into log-mel tensors split by speaker.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';

import { data, IOError } from '../../lib/index.js';

const { WaveFile } = wavefile;
const dir = () => mkdtempSync(join(tmpdir(), 'nnlab-wav-'));
const sine = (n: number, rate: number, hz: number, amp = 0.5) =>
  Float32Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));

function wavBytes(channels: number, rate: number, depth: string, samples: number[] | number[][]): Uint8Array {
  const w = new WaveFile();
  w.fromScratch(channels, rate, depth, samples);
  return w.toBuffer();
}

describe('WAV files', () => {
  it('16-bit PCM round trip through writeWav / readWav', () => {
    const d = dir();
    const x = sine(800, 8000, 440);
    data.writeWav(join(d, 'a.wav'), { samples: x, sampleRate: 8000 });
    const a = data.readWav(join(d, 'a.wav'));
    expect(a.sampleRate).toBe(8000);
    expect(a.samples.length).toBe(800);
    for (let i = 0; i < 800; i++) expect(Math.abs(a.samples[i] - x[i])).toBeLessThan(1 / 32767);
  });

  it('decodes 8-bit unsigned, 24-bit, 32-bit integer and float samples to [-1, 1], stereo averaged', () => {
    expect(Array.from(data.decodeWav(wavBytes(1, 8000, '8', [128, 255, 0])).samples)).toEqual([0, 127 / 128, -1]);
    expect(Array.from(data.decodeWav(wavBytes(1, 8000, '24', [0, 4194304, -8388608])).samples)).toEqual([0, 0.5, -1]);
    expect(Array.from(data.decodeWav(wavBytes(1, 8000, '32', [0, 1073741824, -2147483648])).samples)).toEqual([0, 0.5, -1]);
    expect(Array.from(data.decodeWav(wavBytes(1, 16000, '32f', [0.25, -0.5])).samples)).toEqual([0.25, -0.5]);
    const st = data.decodeWav(
      wavBytes(2, 44100, '16', [
        [16384, 0],
        [0, -16384],
      ]),
    );
    expect(st.sampleRate).toBe(44100);
    expect(Array.from(st.samples)).toEqual([0.25, -0.25]);
  });

  it('a corrupt, truncated, empty or missing file is an IOError naming the file', () => {
    const d = dir();
    const good = wavBytes(1, 8000, '16', [1, 2, 3, 4]);
    const cases: [string, Uint8Array, RegExp][] = [
      ['garbage.wav', new Uint8Array(64).fill(7), /not a readable WAV file/],
      ['truncated.wav', good.slice(0, 30), /not a readable WAV file/],
      ['text.wav', new TextEncoder().encode('this is not audio'), /not a readable WAV file/],
      ['empty.wav', new Uint8Array(0), /not a readable WAV file/],
    ];
    for (const [name, bytes, msg] of cases) {
      const p = join(d, name);
      writeFileSync(p, bytes);
      expect(() => data.readWav(p), name).toThrow(IOError);
      expect(() => data.readWav(p), name).toThrow(msg);
      expect(() => data.readWav(p), name).toThrow(p);
    }
    expect(() => data.readWav(join(d, 'missing.wav'))).toThrow(/cannot read .*missing\.wav/);
  });

  it('a compressed (non-PCM) file is refused with its format named', () => {
    const d = dir();
    for (const [name, convert, format] of [
      ['alaw.wav', 'toALaw', /A-law/],
      ['mulaw.wav', 'toMuLaw', /mu-law/],
      ['adpcm.wav', 'toIMAADPCM', /IMA ADPCM/],
    ] as const) {
      const w = new WaveFile();
      w.fromScratch(
        1,
        8000,
        '16',
        Array.from(sine(1010, 8000, 300), (v) => Math.round(v * 30000)),
      );
      w[convert]();
      const p = join(d, name);
      writeFileSync(p, w.toBuffer());
      expect(() => data.readWav(p), name).toThrow(IOError);
      expect(() => data.readWav(p), name).toThrow(format);
      expect(() => data.readWav(p), name).toThrow(/only uncompressed PCM/);
    }
  });
});

describe('resample', () => {
  it('keeps a tone below the new Nyquist frequency and removes one above it', () => {
    const kept = data.resample({ samples: sine(22050, 22050, 440), sampleRate: 22050 }, 8000);
    expect(kept.sampleRate).toBe(8000);
    expect(kept.samples.length).toBe(8000);
    const ideal = sine(8000, 8000, 440);
    let err = 0;
    for (let i = 200; i < 7800; i++) err = Math.max(err, Math.abs(kept.samples[i] - ideal[i]));
    expect(err).toBeLessThan(1e-3);
    // 6 kHz cannot exist at 8 kHz: without the low-pass it would alias to 2 kHz at full amplitude.
    const gone = data.resample({ samples: sine(22050, 22050, 6000), sampleRate: 22050 }, 8000);
    let peak = 0;
    for (let i = 200; i < 7800; i++) peak = Math.max(peak, Math.abs(gone.samples[i]));
    expect(peak).toBeLessThan(5e-3);
    // Upsampling interpolates the same tone.
    const up = data.resample({ samples: sine(8000, 8000, 440), sampleRate: 8000 }, 48000);
    const ideal48 = sine(48000, 48000, 440);
    err = 0;
    for (let i = 2000; i < 46000; i++) err = Math.max(err, Math.abs(up.samples[i] - ideal48[i]));
    expect(err).toBeLessThan(1e-3);
  });

  it('splitOnSilence cuts words at long pauses only', () => {
    const rate = 8000;
    const word = sine(2000, rate, 300);
    const x = new Float32Array(2000 + 4000 + 2000 + 300 + 2000);
    x.set(word, 0);
    x.set(word, 6000);
    x.set(word, 8300); // a 37 ms gap inside the second "word" does not split it
    const parts = data.splitOnSilence({ samples: x, sampleRate: rate }, 0.4);
    expect(parts.length).toBe(2);
    expect(parts[0].samples.length).toBeGreaterThanOrEqual(2000);
    expect(parts[1].samples.length).toBeGreaterThanOrEqual(4300);
  });
});

describe('spoken-digit folders (AudioMNIST layout)', () => {
  function makeFolder(): string {
    const root = dir();
    // Five speakers in subfolders as AudioMNIST ships them, recorded at 24 kHz; a stray file is ignored.
    for (let s = 1; s <= 5; s++) {
      mkdirSync(join(root, `0${s}`));
      for (let digit = 0; digit < 10; digit++)
        for (let rep = 0; rep < 1; rep++)
          data.writeWav(join(root, `0${s}`, `${digit}_0${s}_${rep}.wav`), {
            samples: sine(12000, 24000, 200 + 50 * digit + 10 * s),
            sampleRate: 24000,
          });
    }
    writeFileSync(join(root, 'README.txt'), 'not a clip');
    return root;
  }

  it('reads every clip resampled to 8 kHz and splits by speaker', async () => {
    const root = makeFolder();
    const clips = data.readSpokenDigitFolder(root);
    expect(clips.length).toBe(50);
    expect(clips[0]).toMatchObject({ digit: 0, speaker: '01', index: 0 });
    expect(clips[0].samples.length).toBe(4000); // 0.5 s at 8 kHz
    const split = data.splitBySpeaker(clips);
    expect(split.testSpeakers).toEqual(['04']);
    expect(split.train.length).toBe(40);
    expect(split.test.every((c) => c.speaker === '04')).toBe(true);

    const d = await data.loadSpokenDigits({ dataDir: root, log: () => {} });
    expect(d.synthetic).toBe(false);
    expect(d.train.x.shape).toEqual([40, 1, 128, 41]);
    expect(d.test.x.shape).toEqual([10, 1, 128, 41]);
    expect(Array.from(d.test.labels.slice(0, 3))).toEqual([0, 1, 2]);
    const v = d.train.x.data() as Float32Array;
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(mean)).toBeLessThan(1e-3); // normalised with the train statistics
    d.dispose();
  });

  it('a folder without clips is an IOError that shows the expected names', () => {
    const empty = dir();
    expect(() => data.readSpokenDigitFolder(empty)).toThrow(IOError);
    expect(() => data.readSpokenDigitFolder(empty)).toThrow(/\[digit\]_\[speaker\]_\[index\]\.wav/);
    expect(() => data.readSpokenDigitFolder(join(empty, 'nope'))).toThrow(/is not a folder/);
  });
});
