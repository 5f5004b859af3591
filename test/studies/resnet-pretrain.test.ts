// The seed-000 data pipeline and `nnlab run resnet-pretrain --quick` as a user runs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadResnetData, resnetLoader } from '../../lib/data/resnet-data.js';
import { loadResnet } from '../../lib/train/resnet-train.js';
import { lastJson, nnlab } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary, tmp } from './helpers.js';
import { quickRun } from './quick-run.js';

describe('seed-000 data pipeline', () => {
  it('MNIST: 32x32, an 80/20 seeded split, train-part normalisation, 3-channel batches', () => {
    const d = loadResnetData({ dataset: 'mnist', trainLimit: 1000, testLimit: 300, splitSeed: 7, device: 'cpu' });
    try {
      expect([d.train.n, d.val.n, d.test.n]).toEqual([800, 200, 300]);
      expect(d.train.x.shape).toEqual([800, 1, 32, 32]);
      expect(d.test.y.shape).toEqual([300]);
      // the split is a partition of the first 1000 train images, and depends on the seed
      const all = [...d.train.indices, ...d.val.indices].sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
      const other = loadResnetData({ dataset: 'mnist', trainLimit: 1000, testLimit: 10, splitSeed: 8, device: 'cpu' });
      expect(Array.from(other.val.indices)).not.toEqual(Array.from(d.val.indices));
      other.dispose();
      // labels and raw pixels follow the indices
      const i = d.val.indices[5];
      const again = loadResnetData({ dataset: 'mnist', trainLimit: 1000, testLimit: 10, splitSeed: 7, device: 'cpu' });
      expect(again.val.labels[5]).toBe(d.val.labels[5]);
      expect(Array.from(again.val.pixels.subarray(5 * 784, 6 * 784))).toEqual(Array.from(d.val.pixels.subarray(5 * 784, 6 * 784)));
      expect(i).toBe(again.val.indices[5]);
      again.dispose();
      // normalised with the train part's own statistics
      const v = d.train.x.data();
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      expect(sd).toBeCloseTo(1, 3);
      expect(d.stats.mean).toBeGreaterThan(0.1);
      expect(d.stats.mean).toBeLessThan(0.16);
      // batches come replicated to 3 equal channels
      const loader = resnetLoader(d.val, { batchSize: 64 });
      const b = loader.batches(0).next().value!;
      expect(b.x.shape).toEqual([64, 3, 32, 32]);
      const px = b.x.data();
      for (const off of [0, 1024 * 3 * 10 + 517]) expect(px[off + 1024]).toBe(px[off]);
      b.x.dispose();
      b.y.dispose();
    } finally {
      d.dispose();
    }
  });

  it('FashionMNIST goes through the same pipeline', () => {
    const d = loadResnetData({ dataset: 'fashion', trainLimit: 500, testLimit: 100, splitSeed: 0, device: 'cpu' });
    expect([d.train.n, d.val.n, d.test.n, d.size, d.channels]).toEqual([400, 100, 100, 32, 3]);
    expect(d.dataset).toBe('fashion');
    expect(d.stats.mean).toBeGreaterThan(0.2); // FashionMNIST is brighter than MNIST (0.286 vs 0.131)
    d.dispose();
  });

  it('bad options are typed errors', () => {
    expect(() => loadResnetData({ dataset: 'mnist', trainLimit: 0, splitSeed: 0, device: 'cpu' })).toThrow(
      /trainLimit must be a positive integer/,
    );
    expect(() => loadResnetData({ dataset: 'mnist', trainLimit: 3, splitSeed: 0, device: 'cpu' })).toThrow(/cannot be split/);
    expect(() => loadResnetData({ dataset: '/nonexistent', splitSeed: 0, device: 'cpu' })).toThrow(/data folder not found/);
  });
});

const FIGURES = ['loss_curves', 'accuracy_curves', 'val_accuracy_all', 'val_loss_all', 'test_accuracy', 'results', 'convergence'];
const VARIANTS = ['scratch', 'pretrained', 'init-default', 'init-kaiming', 'init-xavier', 'shuffle', 'scratch-tuned'];

describe('nnlab run resnet-pretrain', () => {
  it('quick preset: every variant trains and learns, the run folder is complete, the models reload', { timeout: 600_000 }, () => {
    const { out, r } = quickRun('resnet-pretrain');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary>(r.stdout);
    console.log(
      `resnet-pretrain quick: ${VARIANTS.map((v) => `${v} ${(100 * (s.headline[`${v}_test_accuracy`] as number)).toFixed(1)}%`).join(', ')} in ${s.seconds.toFixed(1)} s`,
    );
    expect(s.study).toBe('resnet-pretrain');
    checkRunFolder(out, FIGURES);
    // two epochs on 200 images: the reference well above chance (10%); every variant learns
    expect(s.headline.scratch_test_accuracy).toBeGreaterThan(0.4);
    const variants = s.variants as {
      id: string;
      history: { train_loss: number; train_acc: number }[];
      weights: string;
      test: { acc: number };
    }[];
    expect(variants.map((v) => v.id)).toEqual(VARIANTS);
    for (const v of variants) {
      expect(v.history.length, v.id).toBe(2);
      expect(v.history[1].train_loss, v.id).toBeLessThan(v.history[0].train_loss);
      expect(v.history[1].train_acc, v.id).toBeGreaterThan(0.5);
      expect(v.test.acc, v.id).toBeGreaterThan(0.2);
    }
    expect(s.headline.pretrained_source).toBe('nnlab ResNet18 trained on fashion');
    expect(s.headline.pretrain_test_accuracy).toBeGreaterThan(0.3);
    // metrics.csv: the pretraining and every variant, one row per epoch
    const rows = readCsv(join(out, 'metrics.csv'));
    expect(rows.map((row) => row.variant)).toEqual(['pretrain-fashion', ...VARIANTS].flatMap((v) => [v, v]));
    for (const v of VARIANTS) expect(readCsv(join(out, v, 'metrics.csv')).length, v).toBe(2);
    // the kept checkpoint reloads with its metadata and its recorded test accuracy
    const kept = loadResnet(variants[0].weights);
    expect(kept.meta.dataset).toBe('mnist');
    expect(kept.meta.test.acc).toBeCloseTo(variants[0].test.acc, 6);
    kept.model.dispose();
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      study: 'resnet-pretrain',
      preset: 'quick',
      trainLimit: 250,
      data: { train_images: 200, val_images: 50, test_images: 200 },
    });
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('Convergence');
  });

  it('--weights: a missing file fails before any training; misuse is a usage error', { timeout: 120_000 }, () => {
    const out = tmp('resnet-pretrain-bad');
    const missing = nnlab(['run', 'resnet-pretrain', '--quick', '--out', out, '--weights', join(out, 'nope.safetensors')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/IOError: weights file not found: .*nope\.safetensors/);
    for (const args of [
      ['run', 'cnn', '--weights', 'x.safetensors'],
      ['run', 'resnet-pretrain', '--weights'],
      ['run', 'resnet-pretrain', '--k', '3'],
      ['run', 'cnn', '--variants', 'scratch'],
      ['run', 'resnet-pretrain', '--epochs', '0'],
    ]) {
      const r = nnlab(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage:/);
    }
    const unknown = nnlab(['run', 'resnet-pretrain', '--quick', '--out', out, '--variants', 'scratch,nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown variant\(s\) nope \(known: scratch, pretrained/);
  });

  it('--variants picks variants and --epochs shortens the report-protocol runs, not the tuned recipe', { timeout: 300_000 }, () => {
    const out = tmp('resnet-pretrain-pick');
    const r = nnlab(['run', 'resnet-pretrain', '--quick', '--out', out, '--variants', 'scratch,scratch-tuned', '--epochs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary>(r.stdout);
    const variants = s.variants as { id: string; history: unknown[] }[];
    expect(variants.map((v) => [v.id, v.history.length])).toEqual([
      ['scratch', 1],
      ['scratch-tuned', 2],
    ]);
    const table = readFileSync(join(out, 'report.html'), 'utf8');
    expect(table).toContain('Adam 0.001, batch 16, 2 epochs, cosine');
    expect(table).toContain('Adam 0.001, batch 16, 1 epoch');
  });
});
