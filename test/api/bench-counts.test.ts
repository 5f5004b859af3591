// `nnlab bench --counts`: instruction counts under valgrind's callgrind reproduce the repository
// guard's (bench/baselines.json, within the guard's +5% / -20%), and save / compare work on
// counts. The driver is built into build-guard/, where bench/guard.mjs builds it too (CI runs
// the guard after the tests: the build is shared). A user model is counted in Node under callgrind
// (the instructions inside the addon): two runs give the same count to a few instructions in 10
// million (garbage-collector finalizers). Needs valgrind, cmake and g++ (.ci/run installs them).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { pathToFileURL } from 'node:url';

import { selfCostByObject, verdict } from '../../dist/bench/index.js';
import { lastJson, nnlab } from '../support/cli.js';
import { skipUnless } from '../support/skips.js';

const has = (tool: string) => !spawnSync(tool, ['--version']).error;
const BUILD = resolve('build-guard');
const baselines = JSON.parse(readFileSync('bench/baselines.json', 'utf8')).instructions as Record<string, number>;

describe('nnlab bench --counts', () => {
  it("counts the guard's gemm workload as the guard does, and gates on counts", (ctx) => {
    skipUnless(ctx, has('valgrind') && has('cmake'), 'valgrind or cmake is not installed (apt-get install valgrind cmake g++)');
    const dir = mkdtempSync(join(tmpdir(), 'nnlab-counts-'));
    const saved = join(dir, 'counts.json');
    const r = nnlab(['bench', '--counts', '--only', 'gemm', '--build-dir', BUILD, '--save', saved, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = lastJson<{ mode: string; workloads: { id: string; instructions: number }[] }>(r.stdout);
    expect(result.mode).toBe('counts');
    expect(result.workloads.map((w) => w.id)).toEqual(['gemm']);
    const count = result.workloads[0].instructions;
    expect(verdict(count, baselines.gemm).status, `gemm: ${count} instructions, baseline ${baselines.gemm}`).toBe('ok');

    const same = nnlab(['bench', '--counts', '--only', 'gemm', '--build-dir', BUILD, '--compare', saved]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toMatch(new RegExp(`gemm\\s+${count}\\s+${count}\\s+\\+0\\.0%\\s+ok`));

    // A baseline 10% below today's count: today needs 11% more instructions, beyond the 5% threshold.
    const doctored = JSON.parse(readFileSync(saved, 'utf8'));
    doctored.workloads[0].instructions = Math.round(count * 0.9);
    writeFileSync(saved, JSON.stringify(doctored));
    const worse = nnlab(['bench', '--counts', '--only', 'gemm', '--build-dir', BUILD, '--compare', saved, '--threshold', '5%']);
    expect(worse.code).toBe(1);
    expect(worse.stdout).toMatch(/gemm\s+\d+\s+\d+\s+\+11\.1%\s+MORE INSTRUCTIONS \(regression\)/);
    // Timings cannot be compared with counts.
    expect(nnlab(['bench', '--only', 'gemm', '--reps', '1', '--compare', saved]).stderr).toMatch(
      /holds instruction counts \(add --counts\)/,
    );
  }, 900_000);

  it('counts a user model in Node: two runs agree, so --compare passes', (ctx) => {
    skipUnless(ctx, has('valgrind'), 'valgrind is not installed (apt-get install valgrind)');
    const dir = mkdtempSync(join(tmpdir(), 'nnlab-counts-model-'));
    const model = join(dir, 'tiny.mjs');
    writeFileSync(
      model,
      `import { nn } from ${JSON.stringify(pathToFileURL(resolve('dist/index.js')).href)};
export const input = [4, 1, 28, 28];
export default () => new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 16), new nn.ReLU(), new nn.Linear(16, 10));
`,
    );
    const saved = join(dir, 'counts.json');
    const first = nnlab(['bench', '--counts', '--model', model, '--save', saved, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const w = lastJson<{ workloads: { id: string; instructions: number }[] }>(first.stdout).workloads;
    expect(w.map((x) => x.id)).toEqual(['model:tiny:infer']);
    expect(w[0].instructions).toBeGreaterThan(100_000);
    const again = nnlab(['bench', '--counts', '--model', model, '--compare', saved, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const change = lastJson<{ comparison: { changes: { change: number }[] } }>(again.stdout).comparison.changes[0].change;
    expect(Math.abs(change)).toBeLessThan(1e-4);
  }, 600_000);

  it('reads self costs per object from a callgrind file (the line after calls= is inclusive, not counted)', () => {
    const text = [
      'events: Ir',
      'ob=/usr/bin/node',
      'fl=a.cc',
      'fn=main',
      '10 100',
      'cob=/x/nnlab.node',
      'cfn=kernel',
      'calls=1 5',
      '11 9000',
      '12 7',
      'ob=/x/nnlab.node',
      'fn=kernel',
      '5 8000',
      '6 1000',
      'totals: 9107',
    ].join('\n');
    expect(Object.fromEntries(selfCostByObject(text))).toEqual({ '/usr/bin/node': 107, '/x/nnlab.node': 9000 });
  });
});
