// Multinomial logistic regression on full MNIST: nnlab (the baselines study's training, lib/studies
// LOGREG_FULL: Adam, batch 256, per-batch cosine, validation after each epoch) against
// scikit-learn's LogisticRegression lbfgs (bench/peers/logreg_peers.py) in the same run: wall
// seconds to a trained model (best of --repeat), test accuracy, and how many times faster nnlab is.
// nnlab runs through its public API from dist/ (npm run build:ts).
//   node bench/logreg.mjs [--quick] [--repeat R]     (--quick: 10k train / 2k test images)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const nn = await import(new URL('../dist/index.js', import.meta.url).href);
const { loadMnist } = await import(new URL('../dist/studies/mnist.js', import.meta.url).href);
const { logisticRegression, trainClassifier } = await import(new URL('../dist/studies/classifier.js', import.meta.url).href);
const { LOGREG_FULL } = await import(new URL('../dist/studies/three-models.js', import.meta.url).href);

async function nnlabRun(mnist, seed) {
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-logreg-'));
  try {
    const t0 = performance.now();
    const model = logisticRegression(new nn.Generator(seed));
    const r = await trainClassifier(model, mnist.train, mnist.test, LOGREG_FULL, { seed, outDir: dir, log: () => {} });
    const seconds = (performance.now() - t0) / 1000;
    model.dispose();
    return { seconds, accuracy: r.testAccuracy };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function peer(nTrain, nTest, repeat) {
  const r = spawnSync('/usr/bin/python3', [`${root}bench/peers/logreg_peers.py`, '--train', String(nTrain), '--test', String(nTest),
    '--threads', String(nn.native.numThreads()), '--repeat', String(repeat)], { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || 'logistic-regression peer failed').trim().split('\n').pop() };
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  return out.sklearn;
}

export async function run({ quick = false, repeat = 1 } = {}) {
  const nTrain = quick ? 10000 : 60000, nTest = quick ? 2000 : 10000;
  const mnist = loadMnist({ trainLimit: nTrain, testLimit: nTest, device: 'cpu' });
  let ours = null;
  try {
    for (let r = 0; r < repeat; r++) {
      const o = await nnlabRun(mnist, 0);
      if (!ours || o.seconds < ours.seconds) ours = o;
    }
  } finally {
    mnist.dispose();
  }
  const p = peer(nTrain, nTest, repeat);
  const row = {
    workload: `logistic regression, MNIST ${nTrain}/${nTest}`, peerName: 'sklearn LogisticRegression lbfgs',
    nnlab: ours.seconds, nnlabAccuracy: ours.accuracy, peer: p.error ? null : p.seconds, peerAccuracy: p.error ? null : p.accuracy,
    ratio: p.error ? null : p.seconds / ours.seconds, error: p.error,
  };
  return { rows: [row], nnlab: ours, peer: p, settings: LOGREG_FULL, threads: nn.native.numThreads() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--repeat');
  const r = await run({ quick: args.includes('--quick'), repeat: at >= 0 ? Number(args[at + 1]) : 1 });
  const s = r.settings;
  console.log(`${r.rows[0].workload}, ${r.threads} threads, best of ${at >= 0 ? args[at + 1] : 1}`);
  console.log(`  nnlab (Adam, ${s.epochs} epochs, batch ${s.batch}, lr ${s.lr}, cosine per batch) ${r.nnlab.seconds.toFixed(2).padStart(7)} s   accuracy ${(100 * r.nnlab.accuracy).toFixed(2)}%`);
  const row = r.rows[0];
  console.log(row.error ? `  ${row.peerName} missing: ${row.error}`
    : `  ${row.peerName.padEnd(48)}${row.peer.toFixed(2).padStart(7)} s   accuracy ${(100 * row.peerAccuracy).toFixed(2)}% (${r.peer.iterations} iterations)  nnlab ${row.ratio.toFixed(2)}x faster`);
}
