// A resumable ResNet18 training (how the seed-000 members and resnet-pretrain's runs are trained:
// hours at the full preset) that is stopped after an epoch continues from its progress folder and
// ends with the same kept model, bit for bit, as a run that was never stopped; a finished run is
// not trained again; a progress folder left by another config is not resumed.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { io } from '../../lib/index.js';
import { loadResnetData, ResnetData } from '../../lib/data/resnet-data.js';
import { ResnetTrainConfig, trainResnet } from '../../lib/train/resnet-train.js';
import { tmp } from './helpers.js';

let d: ResnetData;
beforeAll(() => {
  d = loadResnetData({ dataset: 'mnist', trainLimit: 160, testLimit: 64, splitSeed: 0, device: 'cpu' });
});
afterAll(() => d?.dispose());

const config: ResnetTrainConfig = {
  seed: 3,
  init: 'torchvision',
  epochs: 3,
  batch: 32,
  lr: 1e-3,
  weightDecay: 1e-4,
  shuffle: true,
  evalBatch: 64,
};
const quiet = () => {};

function weights(path: string): Map<string, Float32Array> {
  const { tensors } = io.loadSafetensors(path);
  const out = new Map<string, Float32Array>();
  for (const [k, t] of tensors) {
    out.set(k, Float32Array.from(t.toArray() as ArrayLike<number>));
    t.dispose();
  }
  return out;
}

describe('resumable ResNet18 training', () => {
  it('stopped after epoch 2 and started again, it keeps the same model as an uninterrupted run', { timeout: 120_000 }, async () => {
    const whole = tmp('resnet-whole');
    const a = await trainResnet(d, config, { device: 'cpu', outDir: whole, log: quiet, resumable: true });
    a.model.dispose();
    expect(existsSync(join(whole, 'progress')), 'the progress folder is removed once the run is done').toBe(false);

    // Started again on a finished run: nothing is trained, the same results come back.
    const again: string[] = [];
    const a2 = await trainResnet(d, config, { device: 'cpu', outDir: whole, log: (s) => again.push(s), resumable: true });
    a2.model.dispose();
    expect(
      again.some((s) => s.includes('finished earlier')),
      again.join('\n'),
    ).toBe(true);
    expect(again.filter((s) => s.startsWith('epoch ')).length).toBe(0);
    expect(a2.history).toEqual(a.history);
    expect([a2.bestEpoch, a2.test, a2.val]).toEqual([a.bestEpoch, a.test, a.val]);

    const stopped = tmp('resnet-stopped');
    await expect(
      trainResnet(d, config, {
        device: 'cpu',
        outDir: stopped,
        log: quiet,
        resumable: true,
        onEpoch: (m) => {
          if (m.epoch === 2) throw new Error('stopped');
        },
      }),
    ).rejects.toThrow('stopped');
    expect(readdirSync(join(stopped, 'progress')).sort()).toEqual([
      'best.safetensors',
      'checkpoint.safetensors',
      'config.json',
      'metrics.csv',
    ]);

    const lines: string[] = [];
    const b = await trainResnet(d, config, { device: 'cpu', outDir: stopped, log: (s) => lines.push(s), resumable: true });
    b.model.dispose();
    expect(
      lines.some((s) => s.includes('resumed') && s.includes('after epoch 2')),
      lines.join('\n'),
    ).toBe(true);
    expect(lines.filter((s) => s.startsWith('epoch ')).length, 'only epoch 3 is trained again').toBe(1);
    expect(b.history.map((m) => m.epoch)).toEqual([1, 2, 3]);
    expect(b.bestEpoch).toBe(a.bestEpoch);
    expect(b.test).toEqual(a.test);
    const wa = weights(join(whole, 'best.safetensors'));
    const wb = weights(join(stopped, 'best.safetensors'));
    expect([...wb.keys()].sort()).toEqual([...wa.keys()].sort());
    for (const [k, v] of wa) expect(Buffer.from(wb.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  });

  it('a progress folder left by another config is discarded, not resumed', { timeout: 120_000 }, async () => {
    const dir = tmp('resnet-other');
    await expect(
      trainResnet(
        d,
        { ...config, lr: 5e-4 },
        {
          device: 'cpu',
          outDir: dir,
          log: quiet,
          resumable: true,
          onEpoch: () => {
            throw new Error('stopped');
          },
        },
      ),
    ).rejects.toThrow('stopped');
    const lines: string[] = [];
    const r = await trainResnet(d, { ...config, epochs: 1 }, { device: 'cpu', outDir: dir, log: (s) => lines.push(s), resumable: true });
    r.model.dispose();
    expect(
      lines.some((s) => s.includes('another config; starting over')),
      lines.join('\n'),
    ).toBe(true);
    expect(lines.some((s) => s.includes('resumed'))).toBe(false);
    expect(r.history.map((m) => m.epoch)).toEqual([1]);
  });
});
