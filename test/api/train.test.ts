// `nnlab train` as a user runs it: the quick preset on real MNIST, --json output, usage errors,
// and a run killed with SIGKILL mid-epoch that resumes to the same weights.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { data, RandomGenerator, io, seedCnn, tensor } from '../../lib/index.js';
import { lastJson, nnlab, nnlabAsync } from '../support/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'nnlab-train-'));

describe('nnlab train', () => {
  it('quick preset: 2 epochs on 10k MNIST images reach >= 96% test accuracy', () => {
    const out = tmp();
    const r = nnlab(['train', '--limit', '10000', '--epochs', '2', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<{
      test_accuracy: number;
      images_per_second: number;
      seconds_per_epoch: number;
      trained_weights?: { test_accuracy: number };
    }>(r.stdout);
    console.log(
      `quick preset: test accuracy ${(100 * s.test_accuracy).toFixed(2)}% (weight average; last trained weights ` +
        `${(100 * (s.trained_weights?.test_accuracy ?? NaN)).toFixed(2)}%), ${Math.round(s.images_per_second)} images/s`,
    );
    expect(s.test_accuracy).toBeGreaterThanOrEqual(0.96);
    // The default run keeps a weight average and reports the trained weights beside it.
    expect(s.trained_weights!.test_accuracy).toBeGreaterThan(0.9);
    for (const f of ['config.json', 'metrics.csv', 'summary.json', 'best.safetensors', 'model.safetensors', 'checkpoint.safetensors'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const csv = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,train_loss,train_acc,val_loss,val_acc,seconds');
    expect(csv.length).toBe(3);
  });

  it('the shuffles of a loader seeded with S are independent of the init stream of RandomGenerator(S)', () => {
    // nnlab train seeds both the model (RandomGenerator(seed)) and the DataLoader with --seed. When the
    // loader sorted by the very Philox words that initialised the weights, the position of image i
    // in epoch e was a monotone function of initial weight e*N + i (rank correlation 1).
    const n = 60000;
    const model = seedCnn(new RandomGenerator(0));
    const weights = Float32Array.from(model.parameters().flatMap((p) => Array.from(p.data())));
    const ds = data.tensorDataset(
      tensor(new Float32Array(n), [n, 1]),
      tensor(
        Int32Array.from({ length: n }, (_, i) => i),
        [n],
      ),
    );
    const loader = new data.DataLoader(ds, { batchSize: n, shuffle: true, seed: 0 });
    const ranks = (v: ArrayLike<number>) => {
      const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a] - v[b]);
      const r = new Float64Array(v.length);
      idx.forEach((i, k) => {
        r[i] = k;
      });
      return r;
    };
    for (const epoch of [0, 1]) {
      const [{ y }] = [...loader.batches(epoch)];
      const position = new Float64Array(n);
      (y.data() as Int32Array).forEach((row, k) => {
        position[row] = k;
      });
      const w = ranks(weights.subarray(epoch * n, (epoch + 1) * n));
      const mean = (n - 1) / 2;
      let cov = 0,
        vp = 0,
        vw = 0;
      for (let i = 0; i < n; i++) {
        cov += (position[i] - mean) * (w[i] - mean);
        vp += (position[i] - mean) ** 2;
        vw += (w[i] - mean) ** 2;
      }
      // Independent orders: Spearman's rho ~ N(0, 1/sqrt(n) = 0.004).
      expect(Math.abs(cov / Math.sqrt(vp * vw)), `epoch ${epoch}`).toBeLessThan(0.02);
      y.dispose();
    }
    model.dispose();
  });

  it('usage errors exit with code 2', () => {
    for (const args of [
      ['train', '--epochs', 'two'],
      ['train', '--bogus'],
      ['train', '--model', 'rnn'],
      ['frobnicate'],
      ['train', '--lr'],
    ]) {
      const r = nnlab(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage:/);
    }
  });

  it('devices --json reports the cpu and why cuda is unavailable', () => {
    const r = nnlab(['devices', '--json']);
    expect(r.code).toBe(0);
    const d = lastJson<{ cpu: { available: boolean }; cuda: { available: boolean; reason: string } }>(r.stdout);
    expect(d.cpu.available).toBe(true);
    if (!d.cuda.available) expect(d.cuda.reason.length).toBeGreaterThan(5);
  });

  it('a run killed with SIGKILL mid-epoch resumes to the weights of an uninterrupted run', async () => {
    const args = ['train', '--limit', '4000', '--epochs', '3', '--seed', '7', '--batch', '64'];
    const whole = tmp();
    expect(nnlab([...args, '--out', whole]).code).toBe(0);

    const cut = tmp();
    const child = nnlabAsync([...args, '--out', cut]);
    // Wait for the end of epoch 1 (its checkpoint), then kill during epoch 2.
    let epochsDone = 0;
    child.stderr!.on('data', (b: Buffer) => {
      epochsDone += (b.toString().match(/^epoch \d+\/3:/gm) ?? []).length;
    });
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (epochsDone >= 1 && existsSync(join(cut, 'checkpoint.safetensors'))) {
          clearInterval(t);
          setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 150);
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(t);
        reject(new Error('the run ended before it could be interrupted'));
      });
    });
    await new Promise((r) => child.on('exit', r));
    expect(child.signalCode).toBe('SIGKILL');
    expect(existsSync(join(cut, 'model.safetensors'))).toBe(false);

    const r = nnlab(['train', '--resume', cut]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resumed from/);
    const a = io.loadSafetensors(join(whole, 'model.safetensors')).tensors;
    const b = io.loadSafetensors(join(cut, 'model.safetensors')).tensors;
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, t] of a) expect(Buffer.from(b.get(k)!.data().buffer).equals(Buffer.from(t.data().buffer)), k).toBe(true);
    expect(readFileSync(join(cut, 'metrics.csv'), 'utf8').split('\n').length).toBe(
      readFileSync(join(whole, 'metrics.csv'), 'utf8').split('\n').length,
    );
  });
});
