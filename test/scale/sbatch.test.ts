// The sbatch scripts as `--dry-run` prints them (no Slurm needed): the job array over the units,
// the resources, the user's partition/account/time/extra lines, and the reduce step's dependency.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { arraySpec, expandTaskIds } from '../../lib/scale/index.js';
import { nnlab } from '../support/cli.js';
import { tmp } from '../studies/helpers.js';

describe('sbatch scripts (--dry-run)', () => {
  it('array spec round-trips through the parser of scontrol ArrayTaskId', () => {
    expect(arraySpec([5, 0, 1, 2, 7, 8])).toBe('0-2,5,7-8');
    expect(expandTaskIds('0-2,5,7-8%2')).toEqual([0, 1, 2, 5, 7, 8]);
  });

  it('prints both scripts with every option and writes nothing', () => {
    const out = join(tmp('scale-dry'), 'run');
    const r = nnlab([
      'run',
      'ensemble-noise',
      '--quick',
      '--out',
      out,
      '--executor',
      'slurm',
      '--dry-run',
      '--device',
      'cuda',
      '--unit-cpus',
      '4',
      '--unit-mem',
      '3000',
      '--partition',
      'gpu',
      '--account',
      'lab42',
      '--time',
      '1:00:00',
      '--slurm-opt=--qos=short',
      '--slurm-opt',
      '#SBATCH --constraint=a100',
      '--slurm-opt',
      'exclusive',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = r.stdout;
    for (const line of [
      '#SBATCH --array=0-2',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=3000M',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --requeue',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=lab42',
      '#SBATCH --time=1:00:00',
      '#SBATCH --qos=short',
      '#SBATCH --constraint=a100',
      '#SBATCH --exclusive',
      '#SBATCH --kill-on-invalid-dep=yes',
      'export NNLAB_THREADS=4',
      "IDS=('member-0' 'member-1' 'member-2')",
      'unit "$RUN" --reduce',
    ])
      expect(s).toContain(line);
    expect(s).toContain('sbatch --dependency=afterok:<stage 1 job>');
    expect(existsSync(out)).toBe(false);
  });

  it('resnet-pretrain: the pretraining and the scratch variants in one array, the fine-tuned variant in a second one after it', () => {
    const out = join(tmp('scale-dry-chain'), 'run');
    const r = nnlab(['run', 'resnet-pretrain', '--quick', '--out', out, '--executor', 'slurm', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const scripts = r.stdout.split(/^# ---- /m).filter((x) => x);
    expect(scripts.map((x) => x.split('\n')[0])).toEqual([
      join(out, 'scale', 'units.sbatch'),
      `${join(out, 'scale', 'units-2.sbatch')} (sbatch --dependency=afterok:<stage 1 job>)`,
      `${join(out, 'scale', 'reduce.sbatch')} (sbatch --dependency=afterok:<stage 1 job>:<stage 2 job>)`,
    ]);
    const ids = "IDS=('pretrain-fashion' 'scratch' 'pretrained' 'init-default' 'init-kaiming' 'init-xavier' 'shuffle' 'scratch-tuned')";
    // task i is plan unit i in both arrays: the first skips 'pretrained' (2), the second runs only it
    expect(scripts[0]).toContain('#SBATCH --array=0-1,3-7\n');
    expect(scripts[1]).toContain('#SBATCH --array=2\n');
    for (const s of scripts.slice(0, 2)) expect(s).toContain(ids);
    // a failed first stage makes the second impossible: Slurm drops it instead of leaving it queued
    expect(scripts[0]).not.toContain('--kill-on-invalid-dep');
    expect(scripts[1]).toContain('#SBATCH --kill-on-invalid-dep=yes');
    expect(existsSync(out)).toBe(false);
    const local = nnlab(['run', 'resnet-pretrain', '--quick', '--out', out, '--dry-run']);
    expect(local.stdout).toMatch(/^unit pretrained: \{"variant":"pretrained"\} \(\d cpus, 2000 MB\) after pretrain-fashion$/m);
    expect(local.stdout).toMatch(/^unit scratch: \{"variant":"scratch"\} \(\d cpus, 2000 MB\)$/m);
  });

  it('refuses Slurm flags without --executor slurm and units flags on a one-process study', () => {
    expect(nnlab(['run', 'ensemble-noise', '--quick', '--partition', 'x']).stderr).toMatch(/--partition needs --executor slurm/);
    expect(nnlab(['run', 'cnn', '--quick', '--executor', 'slurm']).stderr).toMatch(/--executor needs a study with units/);
    expect(
      nnlab(['run', 'ensemble-noise', '--quick', '--slurm-opt', 'qos=x\n#SBATCH --mem=1', '--executor', 'slurm', '--dry-run']).stderr,
    ).toMatch(/must be one sbatch option/);
  });
});
