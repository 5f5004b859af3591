// Workload `logreg` of the suite: multinomial logistic regression on MNIST to 92.5% test accuracy.
// nnlab trains the baselines study's model with its settings (lib/studies/shared/three-models.ts
// LOGREG_FULL: Adam, batch 256, lr 1e-2 with a per-batch cosine, 4 epochs, validation after each
// epoch) against scikit-learn's LogisticRegression lbfgs (bench/peers/logreg_peers.py), each in its
// own process: wall seconds to a trained model (best of R runs, data already in memory) and the
// test accuracy (footnotes; a full-size run below the 92.5% target says so).
//   node bench/run.mjs --only logreg [--quick]
//   node bench/logreg.mjs --workload logreg [--quick]     nnlab's side alone (one JSON line)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

import { PYTHON, ROOT, serve } from './harness.mjs';

export const TARGET_ACCURACY = 0.925;
/** Sizes and repetitions: full MNIST best of 3, or 10k train / 2k test once with --quick (same settings, lower accuracy). */
export const logregPlan = (quick) => (quick ? { train: 10000, test: 2000, repeat: 1 } : { train: 60000, test: 10000, repeat: 3 });
const threads = () => Number(process.env.NNLAB_THREADS) || cpus().length;

export function workloads({ quick }) {
  const p = logregPlan(quick);
  return [
    {
      id: 'logreg',
      title: 'logistic regression to 92.5%',
      size: `${p.train}/${p.test} train/test, best ${p.repeat}`,
      unit: 's',
      better: 'lower',
      note:
        "nnlab: Adam lr 1e-2, batch 256, 4 epochs, per-batch cosine (the baselines study's LOGREG_FULL), its per-epoch test evaluation " +
        'inside the time; sklearn: LogisticRegression lbfgs, C = 1, max_iter 100, fit only',
      peers: [
        {
          name: 'sklearn lbfgs',
          runs: [
            {
              label: 'lbfgs',
              cmd: PYTHON,
              args: [
                `${ROOT}bench/peers/logreg_peers.py`,
                '--train',
                String(p.train),
                '--test',
                String(p.test),
                '--threads',
                String(threads()),
                '--repeat',
                String(p.repeat),
              ],
            },
          ],
        },
      ],
    },
  ];
}

async function measure(id, { quick }) {
  if (id !== 'logreg') throw new Error(`bench/logreg.mjs has no workload '${id}' (it has: logreg)`);
  const nn = await import(new URL('../dist/index.js', import.meta.url).href);
  const { loadMnist } = await import(new URL('../dist/data/mnist.js', import.meta.url).href);
  const { logisticRegression, trainClassifier } = await import(new URL('../dist/train/classifier.js', import.meta.url).href);
  const { LOGREG_FULL } = await import(new URL('../dist/studies/shared/three-models.js', import.meta.url).href);
  const p = logregPlan(quick);
  const mnist = loadMnist({ trainLimit: p.train, testLimit: p.test, device: 'cpu' });
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-bench-logreg-'));
  const runs = [];
  let accuracy = null;
  try {
    for (let r = 0; r < p.repeat; r++) {
      const t0 = performance.now();
      const model = logisticRegression(new nn.RandomGenerator(0));
      const out = await trainClassifier(model, mnist.train, mnist.test, LOGREG_FULL, {
        seed: 0,
        outDir: join(dir, String(r)),
        log: () => {},
      });
      runs.push((performance.now() - t0) / 1000);
      model.dispose();
      accuracy = out.testAccuracy;
    }
  } finally {
    mnist.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  const short = !quick && accuracy < TARGET_ACCURACY ? ` (below the ${100 * TARGET_ACCURACY}% target)` : '';
  return {
    value: Math.min(...runs),
    unit: 's',
    runs_s: runs,
    accuracy,
    settings: LOGREG_FULL,
    threads: nn.native.numThreads(),
    note: `test accuracy ${(100 * accuracy).toFixed(2)}%${short}`,
  };
}

await serve(import.meta.url, measure);
