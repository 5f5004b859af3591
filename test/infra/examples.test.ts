// Every examples/*.ts (found by glob, so examples added later are covered too) type-checks under
// strict (examples/tsconfig.json) and runs to completion on small data (NNLAB_EXAMPLE_SMALL=1),
// printing a JSON line last. The ResNet18 example gets a torchvision state dict made here with
// python3-torch (scripts/fixtures/torchvision_resnet.py).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { hasFashion, NO_FASHION, pythonHas, skipUnless } from '../support/skips.js';

const ROOT = join(import.meta.dirname, '../..');
const PYTHON = '/usr/bin/python3';
const examples = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.ts') && f !== 'shared.ts')
  .sort();
const work = mkdtempSync(join(tmpdir(), 'nnlab-examples-'));

/** Examples that need an optional tool: what it is, checked only when that example runs. */
const needs: Record<string, () => [ok: boolean, reason: string]> = {
  // The tutorial loop trains on FashionMNIST; the ensemble example uses it as out-of-distribution data.
  'mnist-loop.ts': () => [hasFashion, NO_FASHION],
  'ensemble-uncertainty.ts': () => [hasFashion, NO_FASHION],
  'resnet18-finetune.ts': () => [
    pythonHas('torchvision'),
    'its torchvision state dict is made with /usr/bin/python3 and torchvision (apt-get install python3-torchvision)',
  ],
};

/** Arguments some examples need: made once, here. */
const argsFor: Record<string, () => string[]> = {
  'resnet18-finetune.ts': () => {
    const r = spawnSync(PYTHON, [join(ROOT, 'scripts/fixtures/torchvision_resnet.py'), 'make', work], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (r.status !== 0) throw new Error(`torchvision_resnet.py make failed: ${r.stderr.slice(-2000)}`);
    return [join(work, 'resnet18_state.safetensors')];
  },
};

beforeAll(() => {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'examples/tsconfig.json')], {
    encoding: 'utf8',
  });
  expect(r.status, `examples do not type-check under strict:\n${r.stdout}${r.stderr}`).toBe(0);
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('examples', () => {
  it('there are examples to run', () => expect(examples.length).toBeGreaterThanOrEqual(6));

  for (const file of examples)
    it(`${file} runs on small data`, (ctx) => {
      const [ok, reason] = needs[file]?.() ?? [true, ''];
      skipUnless(ctx, ok, `${file}: ${reason}`);
      const js = join(ROOT, 'dist/examples', file.replace(/\.ts$/, '.js'));
      const r = spawnSync(process.execPath, [js, ...(argsFor[file]?.() ?? [])], {
        encoding: 'utf8',
        timeout: 540_000,
        cwd: ROOT,
        env: { ...process.env, NNLAB_EXAMPLE_SMALL: '1', NNLAB_EXAMPLE_OUT: join(work, 'out') },
      });
      expect(r.status, `${file} exited with ${r.status}:\n${r.stderr.slice(-3000)}`).toBe(0);
      const last = r.stdout.trim().split('\n').pop()!;
      expect(() => JSON.parse(last), `${file}: the last line is its JSON summary`).not.toThrow();
      console.log(`${file}: ${last}`);
    }, 600_000);
});
