// The published package carries `nnlab bench`: npm pack includes dist/bench and the guard
// driver's sources (--counts builds them), and the exports map resolves 'nnlab/bench' (code and
// types) for a project that installed nnlab, here a folder whose node_modules/nnlab links to this
// checkout (installing the packed tarball would rebuild the addon: minutes), whose own model
// file imports 'nnlab' and is benchmarked through the API.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');

describe('nnlab/bench in the package', () => {
  it('npm pack includes dist/bench, the bench command and the guard driver sources', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = new Set((JSON.parse(r.stdout)[0].files as { path: string }[]).map((f) => f.path));
    for (const f of [
      'dist/bench/index.js',
      'dist/bench/index.d.ts',
      'dist/bench/child.js',
      'dist/bench/workloads/standard.js',
      'dist/cli/commands/bench.js',
      'bench/guard/driver.cpp',
      'bench/guard/CMakeLists.txt',
      'cmake/cpu_sources.cmake',
    ])
      expect(files.has(f), f).toBe(true);
    expect([...files].some((f) => f.startsWith('bench/') && !f.startsWith('bench/guard/'))).toBe(false); // the repository's suite stays out
  });

  it("the exports map resolves 'nnlab/bench' and its types, and keeps '.'", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(pkg.exports['./bench']).toEqual({ types: './dist/bench/index.d.ts', default: './dist/bench/index.js' });
    expect(existsSync(join(ROOT, pkg.exports['./bench'].types))).toBe(true);
    const project = mkdtempSync(join(tmpdir(), 'nnlab-user-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'nnlab'), 'dir');
    writeFileSync(join(project, 'package.json'), '{ "type": "module" }\n');
    // A user's model file in the project, benchmarked through the programmatic API (2 short repetitions).
    writeFileSync(
      join(project, 'model.js'),
      "import { nn } from 'nnlab';\nexport default () => new nn.Sequential(new nn.Flatten(), new nn.Linear(16, 4));\n",
    );
    const probe = `import { bench, compare, mannWhitneyU } from 'nnlab/bench';
import * as nnlab from 'nnlab';
const r = await bench({ model: { file: './model.js', input: [2, 1, 4, 4] }, quick: true, reps: 2, minRepMs: 5, roofline: false });
const w = r.workloads[0];
console.log(JSON.stringify({ compare: typeof compare, p: mannWhitneyU([2, 3, 4], [1, 1.5, 0.5], 'greater').p, tensor: typeof nnlab.tensor,
  id: w.id, reps: w.samples.length, ok: w.value > 0, regressions: compare(r, r).regressions }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: project, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({
      compare: 'function',
      p: 0.05,
      tensor: 'function',
      id: 'model:model:infer',
      reps: 2,
      ok: true,
      regressions: 0,
    });
  });
});
