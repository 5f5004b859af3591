// The import rules of .dependency-cruiser.cjs (CI runs `npm run lint:imports`): the tree obeys
// them, and a planted violation of each kind makes the same command fail, so the rule cannot
// silently stop checking anything.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

function cruise(dir: string) {
  return spawnSync(process.execPath, [DEPCRUISE, 'lib', '--config', '.dependency-cruiser.cjs'], { cwd: dir, encoding: 'utf8' });
}

/** A scratch tree with the real config and tsconfig and the given lib/ files. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-imports-'));
  cpSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  cpSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const CLEAN = {
  'lib/core/native.ts': 'export const native = {};\n',
  'lib/core/ops/add.ts': "import { native } from '../native.js';\nexport const add = () => native;\n",
  'lib/nn/linear.ts': "import { add } from '../core/ops/add.js';\nexport const linear = () => add();\n",
  'lib/studies/s.ts': "import { linear } from '../nn/linear.js';\nexport const s = () => linear();\n",
};

describe('import rules', () => {
  it('the tree has no forbidden arrow and no cycle', () => {
    const out = execFileSync(process.execPath, [DEPCRUISE, 'lib', '--config', '.dependency-cruiser.cjs'], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toMatch(/no dependency violations/);
  });

  it('a clean scratch tree passes (the planted cases below differ from it by one arrow)', () => {
    const r = cruise(tree(CLEAN));
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  const planted: [string, Record<string, string>, RegExp][] = [
    [
      'library code calling the addon',
      { 'lib/nn/bad.ts': "import { native } from '../core/native.js';\nexport const b = native;\n" },
      /only-the-engine-loads-the-addon/,
    ],
    [
      'the engine importing the library',
      { 'lib/core/bad.ts': "import { linear } from '../nn/linear.js';\nexport const b = linear;\n" },
      /the-engine-stands-alone/,
    ],
    [
      'the library importing a study',
      { 'lib/nn/bad.ts': "import { s } from '../studies/s.js';\nexport const b = s;\n" },
      /the-library-knows-no-application/,
    ],
    [
      'ensembles importing the training loop',
      {
        'lib/train/loop.ts': 'export const loop = 1;\n',
        'lib/ensemble/bad.ts': "import { loop } from '../train/loop.js';\nexport const b = loop;\n",
      },
      /ensembles-do-not-borrow/,
    ],
    [
      'an import cycle',
      {
        'lib/nn/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
        'lib/nn/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      },
      /no-cycles/,
    ],
  ];
  for (const [name, files, rule] of planted)
    it(`fails on a planted violation: ${name}`, () => {
      const r = cruise(tree({ ...CLEAN, ...files }));
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(rule);
    });
});
