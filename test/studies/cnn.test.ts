// `nnlab run cnn --quick` as a user runs it: accuracy, the run folder contract, usage errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { nnlab } from '../support/cli.js';
import { checkReportInBrowser, checkRunFolder, readCsv, runQuick } from './helpers.js';

describe('nnlab run cnn', () => {
  it('quick preset reaches >= 95% test accuracy and fills the run folder', { timeout: 300_000 }, async () => {
    const { out, r, s } = runQuick('cnn', ['--seed', '1']);
    console.log(`cnn quick: test accuracy ${(100 * (s.headline.test_accuracy as number)).toFixed(2)}% in ${s.seconds.toFixed(1)} s`);
    expect(s.study).toBe('cnn');
    expect(s.out).toBe(out);
    expect(s.headline.test_accuracy).toBeGreaterThanOrEqual(0.95);
    expect(s.headline.parameters).toBe(225034);
    expect(r.stdout).toContain(`run folder ${out}`);
    expect(r.stderr).toMatch(/epoch 2\/2/);
    checkRunFolder(out, ['loss_curves', 'accuracy_curves', 'test_samples', 'misclassified', 'confusion']);
    const metrics = readCsv(join(out, 'metrics.csv'));
    expect(metrics.length).toBe(2);
    expect(Number(metrics[1].val_acc)).toBeCloseTo(s.headline.test_accuracy as number, 6);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ study: 'cnn', preset: 'quick', seed: 1, trainLimit: 10000, train: { epochs: 2, batch: 128, lr: 1e-3 } });
    // The real report in a real browser too.
    await checkReportInBrowser(
      out,
      ['loss_curves', 'accuracy_curves', 'test_samples', 'misclassified', 'confusion'].map((f) => `${f}.svg`),
    );
  });

  it('usage errors exit with code 2', () => {
    for (const args of [
      ['run'],
      ['run', 'nope'],
      ['run', 'cnn', '--bogus'],
      ['run', 'cnn', '--seed', 'x'],
      ['run', 'cnn', '--k', '3'],
      ['run', 'cnn', 'extra'],
    ]) {
      const r = nnlab(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage:/);
    }
  });
});
