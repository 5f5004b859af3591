// Issue 24, silent corruption 7: two studies sharing the ResNet member cache raced on the same
// member folder (one removed `progress` while the other wrote into it: ENOTEMPTY). Here two
// processes ask seed000Members for the same member in the same cache folder at once, as two
// studies do: exactly one trains it, the other waits and then takes it from the cache.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { idxFolder } from './idx-folder.js';

const study = (dataDir: string, cacheDir: string) => `
const { loadResnetData } = await import('${process.cwd()}/dist/data/resnet-data.js');
const { seed000Members } = await import('${process.cwd()}/dist/studies/shared/resnet-members.js');
const d = loadResnetData({ dataset: 'tiny', dataDir: ${JSON.stringify(dataDir)}, splitSeed: 0, device: 'cpu' });
const train = { init: 'torchvision', shuffle: true, epochs: 1, batch: 16, lr: 1e-3, weightDecay: 1e-4, evalBatch: 16 };
const [m] = await seed000Members(d, { seeds: [0], train }, { device: 'cpu', cacheDir: ${JSON.stringify(cacheDir)}, tag: 't' });
console.log(m.cached ? 'cached' : 'trained');
m.model.dispose();
d.dispose();
`;

function run(code: string): Promise<{ status: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 580_000 });
    let out = '',
      err = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (err += b));
    p.once('exit', (status) => resolve({ status, out, err }));
  });
}

describe('the ResNet member cache shared by two studies at once', () => {
  it('one process trains the member, the other waits and takes it from the cache', { timeout: 600_000 }, async () => {
    // 20 images per split, one epoch: all that matters is who trains. Still ResNet18: seconds on an
    // idle machine, minutes on a loaded one (hence the timeout).
    const data = idxFolder(20);
    const cacheDir = mkdtempSync(join(tmpdir(), 'nnlab-member-cache-'));
    const [a, b] = await Promise.all([run(study(data, cacheDir)), run(study(data, cacheDir))]);
    expect(a.status, a.err).toBe(0);
    expect(b.status, b.err).toBe(0);
    expect([a.out.trim(), b.out.trim()].sort()).toEqual(['cached', 'trained']);
    expect(a.err + b.err).toMatch(/member seed 0: process \d+ is training it; waiting/);
    expect(readdirSync(cacheDir)).toEqual(['resnet18-tiny-t-member-0']);
    const member = join(cacheDir, 'resnet18-tiny-t-member-0');
    expect(existsSync(join(member, 'best.safetensors'))).toBe(true);
    expect(readdirSync(member)).not.toContain('progress');
  });
});
