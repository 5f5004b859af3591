// Seed-CNN training epoch (batch 128, Adam 1e-3) and inference (batch 1000) on real MNIST,
// nnlab against PyTorch 1.13 (bench/peers/torch_train.py, at 1 and 2 threads; the better one is
// the peer) in the same run. nnlab runs through its public API from dist/ (npm run build:ts).
//   node bench/train.mjs [--quick]      (--quick: 10k training images)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const nn = await import(new URL('../dist/index.js', import.meta.url).href);

function loadMnist(limit) {
  const d = nn.data.loadDataset('mnist');
  let x = nn.data.toUnitFloat(d.train.images), y = d.train.labels;
  if (limit < x.shape[0]) { x = nn.data.rowsOf(x, 0, limit); y = nn.data.rowsOf(y, 0, limit); }
  const stats = nn.data.pixelStats(x);
  return {
    train: nn.data.tensorDataset(nn.data.normalize(x, stats).keep(), y.keep()),
    test: nn.data.tensorDataset(nn.data.normalize(nn.data.toUnitFloat(d.test.images), stats).keep(), d.test.labels),
  };
}

async function nnlabRun(limit) {
  const { train, test } = loadMnist(limit);
  nn.manualSeed(0);
  const model = nn.seedCnn(new nn.Generator(0));
  const opt = new nn.optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new nn.data.DataLoader(train, { batchSize: 128, shuffle: true, seed: 0 });
  const r = await nn.fit(model, loader, { epochs: 1, optimizer: opt, progress: false, log: () => {} });
  const testLoader = new nn.data.DataLoader(test, { batchSize: 1000 });
  const t0 = performance.now();
  const ev = nn.evaluate(model, testLoader);
  const inferS = (performance.now() - t0) / 1000;
  return { train_images_per_s: r.imagesPerSecond, epoch_s: r.secondsPerEpoch, test_acc: ev.acc, infer_images_per_s: ev.n / inferS };
}

function torchRun(limit, threads) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // presets that halve OpenBLAS on some machines; the peer runs without them
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('/usr/bin/python3', [`${root}bench/peers/torch_train.py`, '--threads', String(threads), '--limit', String(limit)], { env, encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || 'torch peer failed').trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

export async function run({ quick = false } = {}) {
  const limit = quick ? 10000 : 60000;
  const ours = await nnlabRun(limit);
  const peers = [1, 2].map((t) => torchRun(limit, t)).filter((p) => !p.error);
  const best = (k) => Math.max(...peers.map((p) => p[k]));
  const rows = [
    { workload: `seed-CNN training epoch (${limit} images, batch 128)`, unit: 'images/s', nnlab: ours.train_images_per_s, peer: peers.length ? best('train_images_per_s') : null },
    { workload: 'seed-CNN inference (batch 1000)', unit: 'images/s', nnlab: ours.infer_images_per_s, peer: peers.length ? best('infer_images_per_s') : null },
  ].map((r) => ({ ...r, ratio: r.peer ? r.nnlab / r.peer : null }));
  return { rows, nnlab: ours, torch: peers, peerNote: peers.length ? 'PyTorch 1.13 CPU, best of 1 and 2 threads, OPENBLAS_CORETYPE/L2_SIZE unset' : 'PyTorch peer missing' };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await run({ quick: process.argv.includes('--quick') });
  console.log(`peer: ${r.peerNote}`);
  for (const row of r.rows)
    console.log(`${row.workload.padEnd(48)} nnlab ${row.nnlab.toFixed(0).padStart(7)} ${row.unit}  torch ${row.peer ? row.peer.toFixed(0).padStart(7) : '   n/a'}  ratio ${row.ratio ? row.ratio.toFixed(2) : 'n/a'}`);
  console.log(`nnlab test accuracy after the epoch: ${(100 * r.nnlab.test_acc).toFixed(2)}%; torch: ${r.torch.map((p) => `${(100 * p.test_acc).toFixed(2)}% (${p.threads}T)`).join(', ')}`);
}
