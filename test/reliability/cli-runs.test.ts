// Issue 24, silent corruption 6, 9, 10 and the unclear errors: run folders are locked and never
// mixed, --resume refuses flags it would ignore, and every user mistake is one `nnlab: ...` line
// (exit 2 for usage, 1 otherwise), never a stack trace or an empty run folder left behind.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { nnlab, nnlabAsync } from '../support/cli.js';
import { idxFolder } from './idx-folder.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'nnlab-cli-'));

const expectMessage = (r: { code: number | null; stderr: string }, code: number, re: RegExp) => {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).toMatch(/^nnlab: /m);
  expect(r.stderr).toMatch(re);
  expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
};

const small = idxFolder(256);
const train = (out: string, ...extra: string[]) => [
  'train',
  '--dataset',
  small,
  '--epochs',
  '1',
  '--batch',
  '64',
  '--ema',
  '0',
  '--out',
  out,
  ...extra,
];

describe('run folders', () => {
  it('a second nnlab train into the folder of a running one is refused; the first finishes', async () => {
    const big = idxFolder(3000);
    const out = join(tmp(), 'run');
    const a = nnlabAsync(['train', '--dataset', big, '--epochs', '3', '--batch', '32', '--out', out]);
    const done = new Promise<number | null>((r) => a.once('exit', r));
    let stderr = '';
    a.stderr!.on('data', (d) => (stderr += d));
    while (!existsSync(join(out, '.nnlab.lock'))) await new Promise((r) => setTimeout(r, 50));
    const b = nnlab(['train', '--dataset', big, '--epochs', '1', '--out', out]);
    expectMessage(b, 1, /is in use by another nnlab process \(pid \d+\)/);
    expect(await done, stderr).toBe(0);
    expect(existsSync(join(out, '.nnlab.lock'))).toBe(false);
  });

  it('a non-empty --out is refused unless --force (which replaces the run) or --resume', () => {
    const out = join(tmp(), 'run');
    expect(nnlab(train(out)).code).toBe(0);
    expectMessage(nnlab(train(out)), 1, /already holds .* pass --resume to continue that run, --force to replace it/);
    const forced = nnlab(train(out, '--force'));
    expect(forced.code, forced.stderr).toBe(0);
    const plain = join(tmp(), 'notes');
    mkdirSync(plain);
    writeFileSync(join(plain, 'thesis.tex'), 'mine');
    expectMessage(nnlab(train(plain, '--force')), 1, /not an nnlab run folder .* will not delete/);
    expect(existsSync(join(plain, 'thesis.tex'))).toBe(true);
  });

  it('--resume cleans the .tmp files a killed save left; a failed run leaves no empty folder', () => {
    const out = join(tmp(), 'run');
    expect(nnlab(train(out)).code).toBe(0);
    writeFileSync(join(out, '.checkpoint.safetensors.12345.1700000000000.tmp'), 'half');
    const r = nnlab(['train', '--resume', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // The run had finished: resuming trains nothing and reports the run's own figures, not 0 images/s.
    expect(r.stderr).toMatch(/finished all 1 epochs already: nothing to train/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(r.stdout).toContain(`test accuracy ${(100 * summary.test_accuracy).toFixed(2)}%`);
    expect(summary.images_per_second).toBeGreaterThan(0);
    expect(r.stdout).not.toMatch(/ 0 images\/s/);
    const never = join(tmp(), 'never');
    expectMessage(nnlab(['train', '--dataset', join(tmp(), 'missing'), '--out', never]), 1, /data folder not found/);
    expect(existsSync(never)).toBe(false);
  });
});

describe('--resume', () => {
  it('refuses the flags it would ignore (exit 2) instead of training nothing with exit 0', () => {
    for (const flag of [
      ['--epochs', '5'],
      ['--lr', '0.1'],
      ['--out', 'x'],
    ]) {
      const r = nnlab(['train', '--resume', tmp(), ...flag]);
      expectMessage(r, 2, new RegExp(`cannot be combined with ${flag[0]}`));
    }
  });

  it('a corrupt config.json and a study folder are clear errors', () => {
    const corrupt = tmp();
    writeFileSync(join(corrupt, 'config.json'), '{"command": "train", "tr');
    expectMessage(nnlab(['train', '--resume', corrupt]), 1, /config.json is corrupt/);
    const study = tmp();
    writeFileSync(join(study, 'config.json'), JSON.stringify({ study: 'cnn', seed: 0 }));
    expectMessage(nnlab(['train', '--resume', study]), 1, /not an nnlab train run folder \(it is a run of study 'cnn'/);
  });
});

describe('clear errors', () => {
  it('seeds at or above 2^53 are refused (they merged with other seeds)', () => {
    expectMessage(nnlab(['train', '--seed', '18446744073709551616']), 2, /--seed must be an integer below 2\^53/);
    expectMessage(nnlab(['run', 'cnn', '--quick', '--seed', '9007199254740993']), 2, /--seed must be an integer below 2\^53/);
  });

  it('--out "", an --out that is a file, and a folder that cannot be created', () => {
    expectMessage(nnlab(['train', '--out', '']), 2, /--out must not be empty/);
    const file = join(tmp(), 'file');
    writeFileSync(file, 'x');
    expectMessage(nnlab(train(file)), 1, /is a file, not a folder/);
    expectMessage(nnlab(train('/dev/null/nnlab-run')), 1, /cannot create the run folder/);
    if (process.getuid?.() !== 0) {
      // root writes into read-only folders anyway: this half runs for other users.
      const ro = tmp();
      chmodSync(ro, 0o555);
      expectMessage(nnlab(train(join(ro, 'run'))), 1, /cannot create the run folder .*permission denied/);
    }
  });

  it('images that are not 28x28 are refused before training, naming the file', () => {
    const dir = idxFolder(16, 32);
    const out = join(tmp(), 'run');
    expectMessage(nnlab(['train', '--dataset', dir, '--out', out]), 1, /images are 32x32, but the cnn model takes 28x28 images/);
    expect(existsSync(out)).toBe(false);
  });

  it('bad NNLAB_* values are refused', () => {
    expectMessage(nnlab(['devices'], { NNLAB_THREADS: 'four' }), 1, /NNLAB_THREADS="four" \(expected a positive integer/);
    expectMessage(nnlab(['devices'], { NNLAB_CPU_ARENA: 'yes' }), 1, /NNLAB_CPU_ARENA="yes" \(expected 0 or 1\)/);
    expect(nnlab(['devices'], { NNLAB_THREADS: '2' }).code).toBe(0);
  });
});
