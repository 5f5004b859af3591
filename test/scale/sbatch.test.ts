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

  it('refuses Slurm flags without --executor slurm and units flags on a one-process study', () => {
    expect(nnlab(['run', 'ensemble-noise', '--quick', '--partition', 'x']).stderr).toMatch(/--partition needs --executor slurm/);
    expect(nnlab(['run', 'cnn', '--quick', '--executor', 'slurm']).stderr).toMatch(/--executor needs a study with units/);
    expect(
      nnlab(['run', 'ensemble-noise', '--quick', '--slurm-opt', 'qos=x\n#SBATCH --mem=1', '--executor', 'slurm', '--dry-run']).stderr,
    ).toMatch(/must be one sbatch option/);
  });
});
