// `nnlab run ensemble-noise --executor slurm` on a real Slurm (the one-node cluster of
// scripts/slurm-local.sh, which CI starts): the same numbers as the local executor, a cancelled
// unit finished by --resume with the same numbers, and a crashing unit reported with its log while
// the reduce step never runs; resnet-pretrain's chained arrays (the pretraining, then the variant
// that fine-tunes from it) give the local numbers too. Quick preset, two members, 3 epochs, so that a unit is still running when the
// test cancels it after its first epoch's checkpoint.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { lastJson, nnlab } from '../support/cli.js';
import { skipReason } from '../support/skips.js';
import { tmp } from '../studies/helpers.js';

const slurmUp = (() => {
  const r = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8' });
  return r.status === 0 && /idle|mix|alloc/.test(r.stdout);
})();
const skip = skipReason(slurmUp, 'no Slurm cluster answers (install slurm-wlm + munge and run scripts/slurm-local.sh start)');

// Two members keep the three Slurm tests (and the local reference run) near 2.5 minutes.
const FLAGS = ['--quick', '--epochs', '3', '--members', '2', '--unit-cpus', '2', '--json'];
// No NNLAB_CACHE_DIR: the members train into the run folders' units, never into a shared cache.
const cleanEnv = () => {
  const e = { ...process.env };
  delete e.NNLAB_CACHE_DIR;
  return e;
};
const run = (args: string[], e: NodeJS.ProcessEnv = cleanEnv()) => {
  const r = spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8', env: e, timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
/** What must be bit-identical: every number of the study (sweep.csv holds each model's scores at every sigma) and each unit's recorded result. */
const results = (out: string) => ({
  sweep: readFileSync(join(out, 'sweep.csv'), 'utf8'),
  headline: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).headline,
  units: ['member-0', 'member-1'].map((id) => {
    const o = JSON.parse(readFileSync(join(out, 'units', id, 'unit.json'), 'utf8')).output;
    return { test_acc: o.test_acc, val_loss: o.val_loss, weights: readFileSync(o.weights).subarray(-4096).toString('hex') };
  }),
});

describe.skipIf(skip)('Slurm executor (one-node cluster)', () => {
  let local: ReturnType<typeof results>;
  beforeAll(() => {
    const out = tmp('scale-local');
    const r = run(['run', 'ensemble-noise', ...FLAGS, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    local = results(out);
  }, 240_000);

  it('--executor slurm gives the numbers of --executor local, bit for bit', { timeout: 240_000 }, () => {
    const out = tmp('scale-slurm');
    const r = run(['run', 'ensemble-noise', ...FLAGS, '--out', out, '--executor', 'slurm', '--wait']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/submitted 2 unit\(s\) as job array \d+/);
    expect(lastJson(r.stdout).out).toBe(out);
    expect(results(out)).toEqual(local);
    // the array and the reduce job were real sbatch submissions, recorded in the folder
    const jobs = JSON.parse(readFileSync(join(out, 'scale', 'jobs.json'), 'utf8'));
    expect(jobs).toHaveLength(1);
    expect(jobs[0].arrays.map((a: { indices: number[] }) => a.indices)).toEqual([[0, 1]]);
    const st = nnlab(['status', out]);
    expect(st.code, st.stdout + st.stderr).toBe(0);
    expect(st.stdout).toMatch(/member-1\s+done/);
    expect(st.stdout).toMatch(/reduce\s+done/);
  });

  it(
    'scancel of a running unit, then --resume: only that unit is resubmitted and the numbers are the same',
    { timeout: 300_000 },
    async () => {
      const out = tmp('scale-cancel');
      const r = run(['run', 'ensemble-noise', ...FLAGS, '--out', out, '--executor', 'slurm']);
      expect(r.code, r.stderr).toBe(0);
      const job = JSON.parse(readFileSync(join(out, 'scale', 'jobs.json'), 'utf8'))[0].arrays[0].job as string;
      // Wait until member-0 has its first epoch's checkpoint, then cancel it mid-training.
      const ckpt = join(out, 'units', 'member-0', 'progress', 'checkpoint.safetensors');
      const t0 = Date.now();
      while (!existsSync(ckpt)) {
        expect(Date.now() - t0, 'member-0 never wrote a checkpoint').toBeLessThan(120_000);
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(spawnSync('scancel', [`${job}_0`]).status).toBe(0);
      // The cancelled task makes the reduce job's afterok impossible: the run stops with member-0 failed.
      const st = await (async () => {
        for (;;) {
          const s = nnlab(['status', out, '--json']);
          const j = JSON.parse(s.stdout);
          const active = j.units.some((u: { state: string }) => u.state === 'running' || u.state === 'pending');
          if (!active) return j;
          await new Promise((res) => setTimeout(res, 1000));
        }
      })();
      expect(st.units[0].state).toBe('failed');
      expect(st.units[0].slurm).toBe('CANCELLED');
      expect(existsSync(join(out, 'units', 'member-0', 'unit.json'))).toBe(false);
      expect(existsSync(join(out, 'summary.json'))).toBe(false);
      const done = st.units.filter((u: { state: string }) => u.state === 'done').map((u: { id: string }) => u.id);
      const again = run(['run', 'ensemble-noise', '--out', out, '--resume', '--executor', 'slurm', '--wait', '--json']);
      expect(again.code, again.stderr).toBe(0);
      const jobs = JSON.parse(readFileSync(join(out, 'scale', 'jobs.json'), 'utf8'));
      expect(jobs).toHaveLength(2);
      // only the unfinished units went into the second array
      expect(jobs[1].arrays[0].indices).toEqual([0, 1].filter((i) => !done.includes(`member-${i}`)));
      expect(jobs[1].arrays[0].indices).toContain(0);
      // member-0 continued from its checkpoint (trainResnet logs the resume) rather than starting over
      expect(readFileSync(join(out, 'scale', 'logs', 'member-0.log'), 'utf8')).toMatch(
        /resumed from \S+checkpoint\.safetensors after epoch \d/,
      );
      expect(results(out)).toEqual(local);
    },
  );

  it(
    'resnet-pretrain: the fine-tuned variant as a second array after the pretraining, the numbers of the local executor',
    { timeout: 300_000 },
    () => {
      // One epoch of the pretraining and of the variant that starts from it: the smallest chain.
      const flags = ['--quick', '--variants', 'pretrained', '--epochs', '1', '--unit-cpus', '2', '--json'];
      const numbers = (out: string) => {
        const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
        const untimed = (h: { seconds?: number }[]) => h.map(({ seconds: _, ...row }) => row);
        return {
          test: s.headline.pretrained_test_accuracy,
          pretrain: s.headline.pretrain_test_accuracy,
          variants: s.variants.map((v: { val: unknown; test: unknown; history: { seconds?: number }[] }) => [
            v.val,
            v.test,
            untimed(v.history),
          ]),
          pretrainHistory: untimed(s.pretrain.history),
          weights: readFileSync(s.variants[0].weights).subarray(-4096).toString('hex'),
        };
      };
      const a = tmp('scale-chain-local');
      const l = run(['run', 'resnet-pretrain', ...flags, '--out', a]);
      expect(l.code, l.stderr).toBe(0);
      const b = tmp('scale-chain-slurm');
      const r = run(['run', 'resnet-pretrain', ...flags, '--out', b, '--executor', 'slurm', '--wait']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/submitted 1 unit\(s\) as job array (\d+) \(after \d+ succeeds\)/);
      const jobs = JSON.parse(readFileSync(join(b, 'scale', 'jobs.json'), 'utf8'));
      expect(jobs[0].arrays.map((x: { indices: number[] }) => x.indices)).toEqual([[0], [1]]);
      expect(numbers(b)).toEqual(numbers(a));
      const st = JSON.parse(nnlab(['status', b, '--json']).stdout);
      expect(st.units.map((u: { id: string; state: string; job: string }) => [u.id, u.state, u.job])).toEqual([
        ['pretrain-fashion', 'done', `${jobs[0].arrays[0].job}_0`],
        ['pretrained', 'done', `${jobs[0].arrays[1].job}_1`],
      ]);
    },
  );

  it('a unit that crashes is reported with its log path and the reduce step does not run', { timeout: 240_000 }, () => {
    const out = tmp('scale-crash');
    const cache = tmp('scale-crash-cache');
    // A torn weights file in the members cache: member-1 fails when it reads it (a real I/O error, not a stub).
    const bad = join(cache, 'resnet18-mnist-first200-member-1');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'best.safetensors'), Buffer.from('not a safetensors file'));
    const r = run(['run', 'ensemble-noise', ...FLAGS, '--members', '2', '--out', out, '--executor', 'slurm', '--wait'], {
      ...cleanEnv(),
      NNLAB_CACHE_DIR: cache,
    });
    expect(r.code).toBe(1);
    const log = join(out, 'scale', 'logs', 'member-1.log');
    expect(r.stderr).toContain(`FAILED unit member-1`);
    expect(r.stderr).toContain(`(log ${log})`);
    expect(readFileSync(log, 'utf8')).toMatch(/safetensors/i);
    expect(JSON.parse(readFileSync(join(out, 'units', 'member-1', 'failed.json'), 'utf8')).log).toBe(log);
    // member-0 finished; the reduce step never ran
    expect(existsSync(join(out, 'units', 'member-0', 'unit.json'))).toBe(true);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    expect(existsSync(join(out, 'scale', 'reduce.done'))).toBe(false);
    expect(existsSync(join(out, 'scale', 'logs', 'reduce.log'))).toBe(false);
  });
});
