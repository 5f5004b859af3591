// `nnlab bench --counts`: instruction counts under valgrind's callgrind reproduce the repository
// guard's (bench/baselines.json, within the guard's +5% / -20%), and save / compare work on
// counts. The driver is built into build-guard/, where bench/guard.mjs builds it too (CI runs
// the guard after the tests: the build is shared). Needs valgrind, cmake and g++ (.ci/run installs them).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { verdict } from '../../dist/bench/index.js';
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
    expect(nnlab(['bench', '--only', 'gemm', '--reps', '1', '--compare', saved]).stderr).toMatch(/holds instruction counts \(add --counts\)/);
  }, 900_000);
});
