// `nnlab sweep`: the same points give the same numbers in this process, in two local worker
// processes and (where a cluster answers) as a Slurm job array; a random search draws the same
// points from the same seed; the reduce step writes the table and metric-vs-parameter figures.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { readSweepConfig, sweepPoints } from '../../lib/cli/sweep.js';
import { lastJson, nnlab } from '../support/cli.js';
import { skipUnless } from '../support/skips.js';
import { tmp } from '../studies/helpers.js';

const dir = tmp('sweep');
/** Writes a one-epoch sweep over `nnlab train` of an MLP on `limit` images to dir/name. */
function trainSweep(name: string, limit: number, grid: Record<string, unknown[]>): string {
  const file = join(dir, name);
  const c = {
    target: 'train',
    base: { epochs: 1, limit, model: 'mlp' },
    grid,
    metric: 'test_accuracy',
    resources: { cpus: 1, memMB: 1000 },
  };
  writeFileSync(file, JSON.stringify(c));
  return file;
}
const config = trainSweep('sweep.json', 600, { lr: [0.001, 0.003], batch: [32] });
const metrics = (out: string) =>
  readFileSync(join(out, 'sweep.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(',').slice(0, -1).join(','));

let inProcess: string[];

describe('nnlab sweep', () => {
  it('grid over train: table, figures, best point; same numbers with --jobs 2', { timeout: 180_000 }, () => {
    const a = join(dir, 'a');
    const r = nnlab(['sweep', config, '--out', a, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<{ headline: Record<string, number | string> }>(r.stdout);
    expect(s.headline.points).toBe(2);
    for (const f of ['points.svg', 'test_accuracy_vs_lr.svg', 'test_accuracy_vs_lr.png', 'report.html', 'units/point-001/summary.json'])
      expect(existsSync(join(a, f)), f).toBe(true);
    inProcess = metrics(a);
    expect(inProcess).toHaveLength(3);
    const acc = inProcess.slice(1).map((l) => Number(l.split(',')[3]));
    expect(s.headline.best_test_accuracy).toBe(Math.max(...acc));
    const b = join(dir, 'b');
    const r2 = nnlab(['sweep', config, '--out', b, '--jobs', '2']);
    expect(r2.code, r2.stderr).toBe(0);
    expect(metrics(b)).toEqual(inProcess);
  });

  it('random search: the same seed draws the same points, a parameter train lacks is refused', () => {
    const c = {
      target: 'train',
      metric: 'test_accuracy',
      random: { trials: 4, seed: 7, space: { lr: { logUniform: [1e-4, 1e-2] }, batch: { choice: [32, 64] } } },
    };
    const p = sweepPoints(c as never);
    expect(p).toEqual(sweepPoints(c as never));
    expect(p).toHaveLength(4);
    for (const x of p) expect(x.lr as number).toBeGreaterThanOrEqual(1e-4);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...c, base: { lrate: 1 } }));
    expect(nnlab(['sweep', bad]).stderr).toMatch(/train has no parameter 'lrate'/);
  });

  it('a YAML config is the same sweep as its JSON; a YAML error names the file and line', () => {
    const yaml = join(dir, 'sweep.yaml');
    writeFileSync(
      yaml,
      `# the grid of sweep.json, in YAML
target: train
base: { epochs: 1, limit: 600, model: mlp }
grid:
  lr: [1e-3, 3e-3]
  batch: [32]
metric: test_accuracy
resources:
  cpus: 1
  memMB: 1000
`,
    );
    expect(readSweepConfig(yaml)).toEqual(JSON.parse(readFileSync(config, 'utf8')));
    // the planned points (the dry run prints them) are the JSON config's
    const plan = (file: string) => nnlab(['sweep', file, '--dry-run']);
    const fromYaml = plan(yaml);
    expect(fromYaml.code, fromYaml.stderr).toBe(0);
    expect(fromYaml.stdout).toMatch(/unit point-001: .*"lr":0\.003/);
    expect(fromYaml.stdout).toBe(plan(config).stdout);
    const broken = join(dir, 'broken.yml');
    writeFileSync(broken, 'target: train\ngrid:\n  lr: [1e-3, 3e-3\nmetric: test_accuracy\n');
    expect(nnlab(['sweep', broken]).stderr).toMatch(/IOError: sweep config \S+broken\.yml: not YAML \(.*line \d+/);
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- target: train\n');
    expect(nnlab(['sweep', list]).stderr).toMatch(/must be a mapping/);
  });

  it('a point that fails in a worker process is reported with its log; no reduce; --resume reruns only it', { timeout: 120_000 }, () => {
    const missing = join(dir, 'no-such-idx-folder');
    const bad = trainSweep('fails.json', 300, { dataset: ['mnist', missing] });
    const out = join(dir, 'fails');
    const r = nnlab(['sweep', bad, '--out', out, '--jobs', '2']);
    expect(r.code).toBe(1);
    const log = join(out, 'scale', 'logs', 'point-001.log');
    expect(r.stderr).toContain(`FAILED unit point-001`);
    expect(r.stderr).toContain(`log ${log}`);
    expect(readFileSync(log, 'utf8')).toContain(missing);
    expect(existsSync(join(out, 'units', 'point-000', 'unit.json'))).toBe(true);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    const st = nnlab(['status', out]);
    expect(st.code).toBe(1);
    expect(st.stdout).toMatch(/point-001\s+failed/);
    // the cause is still there: --resume runs point-001 alone (point-000 is not trained again) and fails the same way
    const again = nnlab(['sweep', '--out', out, '--resume']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/1 of 2 unit\(s\) to run/);
  });

  it('on Slurm: the same numbers as in this process', { timeout: 180_000 }, (ctx) => {
    const up = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' });
    skipUnless(ctx, up.status === 0 && /idle|mix|alloc/.test(up.stdout), 'no Slurm cluster answers (scripts/slurm-local.sh start)');
    const c = join(dir, 'c');
    const r = nnlab(['sweep', config, '--out', c, '--executor', 'slurm', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(metrics(c)).toEqual(inProcess);
  });
});
