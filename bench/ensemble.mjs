// Training a 7-member seed-CNN ensemble: nnlab trains the members batched (lib/ensemble:
// fitBatched, one stacked pass per step) against PyTorch 1.13 training the same 7 members one
// after another (bench/peers/torch_ensemble.py), at 1 and 2 threads, the better one kept, in the
// same run. Same data (the first N MNIST training images, normalised with their mean/std), batch
// 128, Adam 1e-3, one epoch per member. nnlab runs from dist/ (npm run build:ts first).
//   node bench/ensemble.mjs [--quick] [--images N] [--members M] [--repeat R] [--json]
//   (default 12800 images = 100 steps; --quick 3840 = 30 steps; R repeats, best time kept)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const nn = await import(new URL('../dist/index.js', import.meta.url).href);

function flag(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

function loadTrain(images) {
  const d = nn.data.loadDataset('mnist');
  const x = nn.data.toUnitFloat(nn.data.rowsOf(d.train.images, 0, images));
  const stats = nn.data.pixelStats(x);
  return nn.data.tensorDataset(nn.data.normalize(x, stats).keep(), nn.data.rowsOf(d.train.labels, 0, images).keep());
}

async function nnlabRun(images, members, seeds) {
  const train = loadTrain(images);
  const models = seeds.map((s) => nn.seedCnn(new nn.Generator(s)));
  const r = await nn.fitBatched(models, train, { epochs: 1, batchSize: 128, seeds, lr: 1e-3, progress: false, log: () => {} });
  const last = r.history[0];
  models.forEach((m) => m.dispose());
  r.optimizer.dispose();
  train.x.dispose();
  return { seconds: r.secondsPerEpoch, mean_train_loss: last.reduce((a, m) => a + m.train_loss, 0) / members };
}

function torchRun(images, seeds, threads) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // the peer runs with its own BLAS defaults
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('/usr/bin/python3', [`${root}bench/peers/torch_ensemble.py`, '--threads', String(threads), '--images', String(images),
    '--seeds', seeds.join(',')], { env, encoding: 'utf8' });
  if (r.status !== 0) return { threads, error: (r.stderr || 'torch peer failed').trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

export async function run({ quick = false, images, members = 7, repeat = 1 } = {}) {
  const n = images ?? (quick ? 3840 : 12800);
  const seeds = Array.from({ length: members }, (_, i) => i + 1);
  const ours = [], torch = [];
  for (let k = 0; k < repeat; k++) {
    ours.push(await nnlabRun(n, members, seeds));
    for (const t of [1, 2]) torch.push(torchRun(n, seeds, t));
  }
  const okTorch = torch.filter((p) => !p.error);
  const best = ours.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const peer = okTorch.length ? okTorch.reduce((a, b) => (b.seconds < a.seconds ? b : a)) : null;
  return {
    workload: `${members} seed-CNN members, one epoch of ${n} MNIST images each, batch 128, Adam 1e-3`,
    nnlab_seconds: best.seconds, torch_seconds: peer ? peer.seconds : null, torch_threads: peer ? peer.threads : null,
    ratio: peer ? peer.seconds / best.seconds : null,
    nnlab_runs: ours, torch_runs: torch, threads: nn.native.numThreads(),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await run({ quick: process.argv.includes('--quick'), images: flag('--images', undefined), members: flag('--members', 7), repeat: flag('--repeat', 1) });
  if (process.argv.includes('--json')) console.log(JSON.stringify(r));
  else {
    console.log(r.workload);
    console.log(`nnlab batched (${r.threads} threads): ${r.nnlab_seconds.toFixed(2)} s  [runs: ${r.nnlab_runs.map((x) => x.seconds.toFixed(2)).join(', ')}]`);
    console.log(`PyTorch sequential: ${r.torch_seconds ? `${r.torch_seconds.toFixed(2)} s at ${r.torch_threads} thread(s)` : 'missing'}  [runs: ${r.torch_runs.map((x) => (x.error ? `error ${x.error}` : `${x.seconds.toFixed(2)} (${x.threads}T)`)).join(', ')}]`);
    console.log(`speedup (PyTorch time / nnlab time): ${r.ratio ? r.ratio.toFixed(2) + 'x' : 'n/a'}`);
  }
}
