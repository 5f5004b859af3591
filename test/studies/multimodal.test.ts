// `nnlab run multimodal --quick` (MNIST + espeak-ng spoken digits), and the pieces it stands on:
// seeded same-class pairing, WAV errors, log-mel of a known tone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { IOError } from '../../lib/index.js';
import { readWav8k } from '../../lib/studies/shared/multimodal-audio.js';
import { logMelMatrices, logMelOf } from '../../lib/studies/shared/multimodal-mel.js';
import { pairImages } from '../../lib/studies/shared/multimodal-pairs.js';
import { skipUnless } from '../support/skips.js';
import { checkRunFolder, readCsv, runQuick } from './helpers.js';

const FIGURES = [
  'report_vs_nnlab',
  'accuracy',
  'findings',
  'accuracy_grouped_bars',
  'loss_curves',
  'accuracy_curves',
  'logmel_per_digit',
  'test_pairs',
];
const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0;

describe('nnlab run multimodal', () => {
  it(
    'quick preset: both modalities learn, fusion beats them clean, blanking a modality hurts its own model',
    { timeout: 600_000 },
    (ctx) => {
      skipUnless(
        ctx,
        hasEspeak,
        'espeak-ng is not installed: the multimodal study generates its spoken digits with it (apt-get install espeak-ng)',
      );
      const { out, s } = runQuick('multimodal');
      const h = s.headline as Record<string, number | string>;
      const a = (cond: string, model: string) => h[`${cond} / ${model}`] as number;
      console.log(
        `multimodal quick: clean image ${a('clean', 'image only')} audio ${a('clean', 'audio only')} early ${a('clean', 'early fusion')} joint ${a('clean', 'joint fusion')} late ${a('clean', 'late fusion (mean)')}; conclusion supported: ${h.conclusion_supported} in ${s.seconds.toFixed(1)} s`,
      );
      checkRunFolder(out, FIGURES);
      expect(h).toMatchObject({ train_pairs: 640, test_pairs: 320 });
      expect(readCsv(join(out, 'metrics.csv')).length).toBe(4 * 8);
      // Test voices are unseen speakers; chance is 10%.
      expect(a('clean', 'image only')).toBeGreaterThanOrEqual(0.7);
      expect(a('clean', 'audio only')).toBeGreaterThanOrEqual(0.6);
      expect(Math.max(a('clean', 'late fusion (mean)'), a('clean', 'joint fusion'), a('clean', 'early fusion'))).toBeGreaterThan(
        Math.max(a('clean', 'image only'), a('clean', 'audio only')),
      );
      // A blanked modality leaves its own model at chance and the other model untouched.
      expect(a('image blank', 'image only')).toBeLessThanOrEqual(0.2);
      expect(a('audio blank', 'audio only')).toBeLessThanOrEqual(0.2);
      expect(a('image blank', 'audio only')).toBe(a('clean', 'audio only'));
      // Late fusion keeps most of the intact modality's accuracy.
      expect(a('image blank', 'late fusion (mean)')).toBeGreaterThanOrEqual(a('image blank', 'audio only') - 0.05);
      expect(a('audio blank', 'late fusion (mean)')).toBeGreaterThanOrEqual(a('audio blank', 'image only') - 0.05);
      expect(['yes', 'no']).toContain(h.conclusion_supported);
      const html = readFileSync(join(out, 'report.html'), 'utf8');
      expect(html).toContain('fusion helps most when one modality degrades');
      expect(html).toMatch(/is (supported|NOT supported) by this run/);
    },
  );
});

describe('multimodal building blocks', () => {
  it('pairs images of the same class by a seeded rule', () => {
    const images = Int32Array.from({ length: 200 }, (_, i) => i % 10);
    const clips = Int32Array.from([3, 3, 7, 0, 9, 3]);
    const p = pairImages(images, clips, 2, 5);
    expect(p.length).toBe(12);
    p.forEach((img, k) => expect(images[img]).toBe(clips[Math.floor(k / 2)]));
    expect(new Set(p).size).toBe(12);
    expect(pairImages(images, clips, 2, 5)).toEqual(p);
    expect(pairImages(images, clips, 2, 6)).not.toEqual(p);
    expect(() => pairImages(Int32Array.from([1, 2]), clips, 1, 0)).toThrow(/no image of class 0 to pair/);
  });

  it('rejects a corrupt or non-PCM WAV file with an IOError naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnlab-wav-'));
    const bad = join(dir, '3_x_0.wav');
    writeFileSync(bad, 'RIFF\x00\x00not a wave');
    expect(() => readWav8k(bad)).toThrow(IOError);
    expect(() => readWav8k(bad)).toThrow(/3_x_0\.wav/);
    // A valid RIFF/WAVE header with format 3 (IEEE float) instead of PCM.
    const h = Buffer.alloc(44 + 8);
    h.write('RIFF', 0);
    h.writeUInt32LE(36 + 8, 4);
    h.write('WAVE', 8);
    h.write('fmt ', 12);
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(3, 20);
    h.writeUInt16LE(1, 22);
    h.writeUInt32LE(8000, 24);
    h.writeUInt32LE(32000, 28);
    h.writeUInt16LE(4, 32);
    h.writeUInt16LE(32, 34);
    h.write('data', 36);
    h.writeUInt32LE(8, 40);
    const float = join(dir, 'float.wav');
    writeFileSync(float, h);
    expect(() => readWav8k(float)).toThrow(/float\.wav: expected PCM/);
  });

  it('log-mel of a 1 kHz tone peaks in the band holding 1 kHz (HTK mel, 8 kHz, 128 bands)', () => {
    const s = logMelMatrices(8000);
    const len = 8000,
      tone = Float32Array.from({ length: len }, (_, t) => 0.5 * Math.sin((2 * Math.PI * 1000 * t) / 8000));
    const mel = logMelOf(tone, 1, len, s);
    const frames = 1 + len / 200;
    expect(mel.length).toBe(128 * frames);
    const mid = Math.floor(frames / 2);
    let peak = 0;
    for (let b = 1; b < 128; b++) if (mel[b * frames + mid] > mel[peak * frames + mid]) peak = b;
    const hzToMel = (f: number) => 2595 * Math.log10(1 + f / 700);
    // Band b's centre is at mel (b + 1) * max / 129.
    const expected = Math.round((hzToMel(1000) / hzToMel(4000)) * 129) - 1;
    expect(Math.abs(peak - expected)).toBeLessThanOrEqual(1);
    // Power of a 0.5-amplitude sine through a periodic Hann window of 400: (0.5 * 400 / 4)^2 spread over the band's filter.
    expect(mel[peak * frames + mid]).toBeGreaterThan(20);
  });
});
