// Training a 7-member seed-CNN ensemble: nnlab trains the members batched (lib/ensemble:
// fitBatched, one stacked pass per step) against PyTorch 1.13 training the same 7 members one
// after another (bench/peers/torch_ensemble.py) at 1 and 2 threads, the faster kept, in the
// same run; nnlab training them one after another with `fit` is timed too, to show what
// batching itself buys. Same data (the first N MNIST training images, normalised with their
// mean/std), batch 128, Adam 1e-3, one epoch per member. Wall and CPU seconds (all threads) are
// both reported: on a shared machine the CPU time is the steadier of the two.
// nnlab runs from dist/ (npm run build:ts first).
//   node bench/ensemble.mjs [--quick] [--images N] [--members M] [--repeat R] [--stack-size S] [--no-sequential] [--json]
//   (default 12800 images = 100 steps per member; --quick 3840 = 30 steps; R repeats, best kept)
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

const cpuNow = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };

async function timed(fn) {
  const c0 = cpuNow(), t0 = performance.now();
  const extra = await fn();
  return { seconds: (performance.now() - t0) / 1000, cpu_seconds: cpuNow() - c0, ...extra };
}

async function nnlabBatched(train, seeds, stackSize) {
  const models = seeds.map((s) => nn.seedCnn(new nn.Generator(s)));
  const r = await timed(async () => {
    const f = await nn.fitBatched(models, train, { epochs: 1, batchSize: 128, seeds, lr: 1e-3, stackSize, progress: false, log: () => {} });
    f.optimizer.dispose();
    return { mean_train_loss: f.history[0].reduce((a, m) => a + m.train_loss, 0) / seeds.length };
  });
  models.forEach((m) => m.dispose());
  return r;
}

async function nnlabSequential(train, seeds) {
  return timed(async () => {
    let loss = 0;
    for (const s of seeds) {
      const model = nn.seedCnn(new nn.Generator(s));
      const opt = new nn.optim.Adam(model.parameters(), { lr: 1e-3 });
      const loader = new nn.data.DataLoader(train, { batchSize: 128, shuffle: true, seed: s });
      const f = await nn.fit(model, loader, { epochs: 1, optimizer: opt, progress: false, log: () => {} });
      loss += f.history[0].train_loss;
      opt.dispose();
      model.dispose();
    }
    return { mean_train_loss: loss / seeds.length };
  });
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

const fastest = (runs) => (runs.length ? runs.reduce((a, b) => (b.seconds < a.seconds ? b : a)) : null);

export async function run({ quick = false, images, members = 7, repeat = 1, sequential = true, stackSize } = {}) {
  const n = images ?? (quick ? 3840 : 12800);
  const seeds = Array.from({ length: members }, (_, i) => i + 1);
  const train = loadTrain(n);
  const batched = [], seq = [], torch = [];
  for (let k = 0; k < repeat; k++) {
    batched.push(await nnlabBatched(train, seeds, stackSize));
    if (sequential) seq.push(await nnlabSequential(train, seeds));
    for (const t of [1, 2]) torch.push(torchRun(n, seeds, t));
  }
  train.x.dispose();
  const ours = fastest(batched), mine = fastest(seq), peer = fastest(torch.filter((p) => !p.error));
  return {
    workload: `${members} seed-CNN members, one epoch of ${n} MNIST images each, batch 128, Adam 1e-3`,
    nnlab_threads: nn.native.numThreads(), stack_size: stackSize ?? members,
    batched: ours, sequential: mine, torch: peer,
    speedup_vs_torch: peer ? peer.seconds / ours.seconds : null,
    speedup_vs_torch_cpu: peer ? peer.cpu_seconds / ours.cpu_seconds : null,
    speedup_vs_nnlab_sequential: mine ? mine.seconds / ours.seconds : null,
    runs: { batched, sequential: seq, torch },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await run({
    quick: process.argv.includes('--quick'), images: flag('--images', undefined), members: flag('--members', 7),
    repeat: flag('--repeat', 1), sequential: !process.argv.includes('--no-sequential'), stackSize: flag('--stack-size', undefined),
  });
  if (process.argv.includes('--json')) console.log(JSON.stringify(r));
  else {
    const f = (x) => `${x.seconds.toFixed(2)} s wall, ${x.cpu_seconds.toFixed(2)} s CPU`;
    console.log(r.workload);
    console.log(`nnlab batched (${r.nnlab_threads} threads, stacks of ${r.stack_size}): ${f(r.batched)}`);
    if (r.sequential) console.log(`nnlab sequential fit runs:       ${f(r.sequential)}`);
    console.log(`PyTorch sequential runs:         ${r.torch ? `${f(r.torch)} (${r.torch.threads} thread(s))` : 'missing'}`);
    for (const t of r.runs.torch) if (t.error) console.log(`  torch at ${t.threads} thread(s) failed: ${t.error}`);
    console.log(`speedup vs PyTorch: ${r.speedup_vs_torch ? r.speedup_vs_torch.toFixed(2) + 'x wall' : 'n/a'}` +
      `${r.speedup_vs_torch_cpu ? `, ${r.speedup_vs_torch_cpu.toFixed(2)}x CPU` : ''}` +
      `${r.speedup_vs_nnlab_sequential ? `; batched vs nnlab sequential: ${r.speedup_vs_nnlab_sequential.toFixed(2)}x wall` : ''}`);
  }
}
