// `nnlab bench` on a user's model file the test writes: the table and JSON it reports, a saved
// baseline, and --compare failing (exit 1) on a planted 20% slowdown and passing on an unchanged
// rerun. The slowdown is planted in the model, not in nnlab: its forward spins BUSY_MS
// milliseconds of CPU time (10 ms, then 12 ms: +20%), which dominates the tiny network's own
// 0.05 ms. These runs use --clock cpu: on the shared 2-core test machines (load averages of 6-12)
// the wall time of a step stretches with whatever else runs, so a wall-clock baseline taken
// seconds earlier can be 20% off either way; the process's CPU time per step hardly moves.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

import { lastJson, nnlab } from '../support/cli.js';

const INDEX = pathToFileURL(resolve('dist/index.js')).href;
const dir = mkdtempSync(join(tmpdir(), 'nnlab-bench-'));
const model = join(dir, 'busy-model.mjs');
writeFileSync(
  model,
  `import { nn } from ${JSON.stringify(INDEX)};
export const classes = 10;
export default function createModel() {
  const m = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 32), new nn.ReLU(), new nn.Linear(32, 10));
  const forward = m.forward.bind(m);
  const busy = Number(process.env.BUSY_MS ?? 0);
  m.forward = (x) => {
    const u0 = process.cpuUsage();
    const spent = () => {
      const u = process.cpuUsage(u0);
      return (u.user + u.system) / 1000;
    };
    while (spent() < busy);
    return forward(x);
  };
  return m;
}
`,
);
const run = (args: string[], busyMs: number) =>
  nnlab(['bench', '--model', model, '--input', '8,1,28,28', '--no-roofline', '--quick', '--reps', '6', '--clock', 'cpu', ...args], {
    BUSY_MS: String(busyMs),
  });

describe('nnlab bench --model', () => {
  const baseline = join(dir, 'baseline.json');

  it('times a user model in train mode, with its table, host line and saved baseline', () => {
    const r = nnlab(
      ['bench', '--model', model, '--input', '8,1,28,28', '--mode', 'train', '--quick', '--reps', '4', '--save', join(dir, 'train.json')],
      {
        BUSY_MS: '0',
      },
    );
    expect(r.stderr + r.stdout).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model:busy-model:train\s+batch \[8, 1, 28, 28\]\s+\d+ images\/s/);
    expect(r.stdout).toMatch(/gemm-1024\s+1024x1024x1024 float32\s+[\d.]+ GFLOP\/s.*100%/); // the roofline of the run
    expect(r.stdout).toMatch(/nnlab \d+\.\d+\.\d+ \((CPU|CUDA) binary\), (avx512|avx2|generic) kernels, \d+ threads/);
    const saved = JSON.parse(readFileSync(join(dir, 'train.json'), 'utf8'));
    const w = saved.workloads.find((x: { id: string }) => x.id === 'model:busy-model:train');
    expect(w.samples).toHaveLength(4);
    expect(w.gflops).toBeGreaterThan(0); // counted from the Linear layers
    expect(w.roofline_share).toBeGreaterThan(0);
    expect(w.peak_rss_mb).toBeGreaterThan(20);
  });

  it('--compare exits 1 on a planted 20% slowdown and 0 on an unchanged rerun', () => {
    const save = run(['--save', baseline, '--json'], 10);
    expect(save.code, save.stderr).toBe(0);
    const w = lastJson<{ workloads: { ms: number }[] }>(save.stdout).workloads[0];
    expect(w.ms).toBeGreaterThan(10);

    const same = run(['--compare', baseline, '--threshold', '10%'], 10);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toMatch(/model:busy-model:infer .* (ok|faster|slower, within noise)\n/);
    expect(same.stdout).toContain('no regression');

    const slow = run(['--compare', baseline, '--threshold', '10%', '--markdown'], 12);
    expect(slow.code, slow.stdout + slow.stderr).toBe(1);
    expect(slow.stdout).toMatch(
      /\| model:busy-model:infer \| [\d.]+ \| [\d.]+ \| \+(1[5-9]|2\d)\.\d% \| [\d.e-]+ \| SLOWER \(regression\) \|/,
    );
    expect(slow.stdout).toContain('1 regression(s)');
    // A wall-clock run does not compare with a CPU-clock baseline.
    const wall = nnlab(['bench', '--model', model, '--input', '8,1,28,28', '--no-roofline', '--reps', '1', '--compare', baseline]);
    expect(wall.code, wall.stderr).toBe(2);
    expect(wall.stderr).toMatch(/baseline was timed on the cpu clock, this run on the wall clock/);
  });

  it('reports a model file that breaks the contract, and usage errors', () => {
    const bad = join(dir, 'bad.mjs');
    writeFileSync(bad, 'export const input = [1, 2];\n');
    const r = nnlab(['bench', '--model', bad, '--quick', '--no-roofline', '--reps', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/must export a model factory/);
    expect(nnlab(['bench', '--input', '1,2']).code).toBe(2);
    expect(nnlab(['bench', '--compare', join(dir, 'none.json')]).stderr).toMatch(/cannot read the baseline/);
  });
});
