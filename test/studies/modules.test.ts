// `nnlab run modules --quick`: the binary network trained by modules chained by hand, by
// Sequential and by fit() has the same weights as each other and as PyTorch replaying the same
// setup (test/fixtures/seed002_modules.safetensors, from scripts/fixtures/seed002_modules.py)
// before training, after 10 and after 200 epochs.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { io } from '../../lib/index.js';
import { DEFAULT_REFERENCE, MODULES_QUICK, modulesSetup } from '../../lib/studies/modules.js';
import { disposeClusters } from '../../lib/studies/shared/seed002-data.js';
import { readReference } from '../../lib/studies/shared/seed002-reference.js';
import { lastJson, nnlabAsync } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary, tmp } from './helpers.js';

const FIXTURE = 'test/fixtures/seed002_modules.safetensors';
const NAMES = ['0.weight', '0.bias', '2.weight', '2.bias'];
// float32 rounding: PyTorch's own float32 and float64 replays differ by 4e-5 after 200 epochs
// (32k steps); nnlab and PyTorch float32 by about 2e-6 (kernels of exp and tanh differ by ulps).
const TOL_TORCH = 1e-4;

/** Runs the command to its end: 3 x 32k SGD steps outlast spawnSync's 10 minutes on a loaded 2-core machine. */
function runToEnd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = nnlabAsync(args);
  let stdout = '',
    stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

type Stages = Record<string, Record<string, { test_acc: number; weights: Record<string, number[]> }>>;

describe('nnlab run modules', () => {
  it('every way matches PyTorch at 0, 10 and 200 epochs', { timeout: 1_800_000 }, async () => {
    const out = tmp('modules');
    const r = await runToEnd(['run', 'modules', '--quick', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary & { stages: Stages; reference: { used: boolean; reason: string | null } }>(r.stdout);
    const h = s.headline as Record<string, number>;
    console.log(`modules quick: ${JSON.stringify(h)} in ${s.seconds.toFixed(1)} s`);
    expect(s.reference.used, s.reference.reason ?? '').toBe(true);
    expect(Object.keys(s.stages).sort()).toEqual(['fit', 'hand-chained', 'sequential']);
    // The nnlab ways run the same kernels in the same order: equal to the last bit.
    expect(h.max_abs_diff_ways).toBeLessThanOrEqual(1e-7);
    expect(h.linreg_max_abs_diff_ways).toBeLessThanOrEqual(1e-6);

    const f = io.loadSafetensors(FIXTURE);
    let worst = 0;
    for (const [way, stages] of Object.entries(s.stages))
      for (const stage of ['0', '10', '200']) {
        for (const n of NAMES) {
          const torch = Array.from(f.tensors.get(`torch.${stage}.${n}`)!.data());
          const mine = stages[stage].weights[n];
          expect(mine.length).toBe(torch.length);
          mine.forEach((v, i) => {
            worst = Math.max(worst, Math.abs(v - torch[i]));
            expect(Math.abs(v - torch[i]), `${way} ${stage} ${n}[${i}]`).toBeLessThan(TOL_TORCH);
          });
        }
        expect(stages[stage].test_acc, `${way} ${stage}`).toBeCloseTo(f.tensors.get(`torch.${stage}.test_acc`)!.item(), 6);
      }
    console.log(`modules: max |nnlab - PyTorch| = ${worst.toExponential(2)}`);
    expect(h.max_abs_diff_pytorch).toBeCloseTo(worst, 9);
    // The report's headline: 97.5% after 200 epochs.
    expect(h.test_accuracy_200).toBeGreaterThanOrEqual(0.975);
    checkRunFolder(out, ['report_vs_nnlab', 'table1', 'differences', 'linreg_optim_check', 'linreg_checks', 'loss_per_way']);
    expect(readCsv(join(out, 'metrics.csv')).length).toBe(201);
  });

  it('uses a PyTorch replay only when it was made from the same setup', () => {
    const setup = modulesSetup(MODULES_QUICK);
    try {
      expect(DEFAULT_REFERENCE().endsWith(join('test', 'fixtures', 'seed002_modules.safetensors'))).toBe(true);
      expect(readReference(FIXTURE, setup, MODULES_QUICK.stages).unusable).toBeUndefined();
      expect(readReference('test/fixtures/nope.safetensors', setup, MODULES_QUICK.stages).unusable).toBe('file not found');
      const otherInit = { ...setup, init: { ...setup.init, '0.bias': setup.init['0.bias'].map((v) => v + 1) } };
      expect(readReference(FIXTURE, otherInit, MODULES_QUICK.stages).unusable).toMatch(/another setup \(init\.0\.bias differ\)/);
      const otherOrder = { ...setup, order: setup.order.map((v, i) => (i < 2 ? setup.order[1 - i] : v)) };
      expect(readReference(FIXTURE, otherOrder, MODULES_QUICK.stages).unusable).toBe('made with another data order');
      expect(readReference(FIXTURE, setup, [0, 7]).unusable).toBe('has no PyTorch weights for stage 7');
    } finally {
      disposeClusters(setup.data);
    }
  });
});
