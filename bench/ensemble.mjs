// Workload `ensemble-train` of the suite: training a 7-member seed-CNN ensemble. nnlab trains the
// members batched (lib/ensemble fitBatched: one stacked pass per step, each member with its own
// seed, initialisation and shuffle order) against PyTorch 1.13 training the same 7 members one
// after another (bench/peers/torch_ensemble.py, 1 and 2 threads, the faster kept); nnlab training
// them one after another with `fit` is a second line, to show what batching itself buys. Same data
// (the first N MNIST training images, normalised with their mean/std), batch 128, Adam 1e-3, one
// epoch per member. Value: wall seconds; every side also records its CPU seconds (all threads),
// the steadier figure on a shared machine. The goal (issue 8): >= 3x faster than PyTorch.
//   node bench/run.mjs --only ensemble [--quick]
//   node bench/ensemble.mjs --workload ensemble-train [--quick] [--stack-size N|auto]     nnlab's side alone (one JSON line)
//   node bench/ensemble.mjs --workload ensemble-train-sequential [--seeds 1,2,3]   a subset of the members, so that
//     several processes (NNLAB_THREADS=1 each) can share the members out, as in docs/performance.md
// The stack size is fitBatched's own choice (measured on the host at first use and cached,
// lib/ensemble/stack-size.ts) unless --stack-size forces one, for A/B runs.
import { flag, ROOT, serve, torchPeer } from './harness.mjs';
import { SEED_CNN_FLOPS } from './train.mjs';

const MEMBERS = 7;
const SEEDS = Array.from({ length: MEMBERS }, (_, i) => i + 1);
/** Images per member: 12800 = 100 steps of batch 128, or 3840 = 30 steps with --quick. */
export const ensembleImages = (quick) => (quick ? 3840 : 12800);

export function workloads({ quick }) {
  const n = ensembleImages(quick);
  const sequential = {
    name: `nnlab, ${MEMBERS} sequential fit runs`,
    runs: [
      {
        label: 'fit',
        cmd: process.execPath,
        args: [`${ROOT}bench/ensemble.mjs`, '--workload', 'ensemble-train-sequential', ...(quick ? ['--quick'] : [])],
      },
    ],
  };
  return [
    {
      id: 'ensemble-train',
      title: `${MEMBERS}-member ensemble training`,
      size: `${MEMBERS} seed CNNs x ${n / 128} steps of 128`,
      unit: 's',
      better: 'lower',
      gflop: (MEMBERS * n * SEED_CNN_FLOPS.train) / 1e9,
      peers: [
        torchPeer('torch_ensemble.py', ['--images', String(n), '--seeds', SEEDS.join(',')], {
          quick,
          name: `PyTorch, ${MEMBERS} sequential runs`,
        }),
        sequential,
      ],
    },
  ];
}

// Only the normalised images stay (as in the peer, where the [0, 1] copy is freed once replaced).
function loadTrain(nn, images) {
  const d = nn.data.loadDataset('mnist');
  const [x, y] = nn.tidy(() => {
    const unit = nn.data.toUnitFloat(nn.data.rowsOf(d.train.images, 0, images));
    return [nn.data.normalize(unit, nn.data.pixelStats(unit)), nn.data.rowsOf(d.train.labels, 0, images)];
  });
  return nn.data.tensorDataset(x.keep(), y.keep());
}

const cpuNow = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

function stackSizeFlag() {
  const v = flag('stack-size', 'auto');
  if (v === 'auto') return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--stack-size must be a positive integer or auto, got '${v}'`);
  return n;
}

async function batched(nn, train) {
  const models = SEEDS.map((s) => nn.seedCnn(new nn.RandomGenerator(s)));
  const stackSize = stackSizeFlag();
  const f = await nn.fitBatched(models, train, {
    epochs: 1,
    batchSize: 128,
    seeds: SEEDS,
    lr: 1e-3,
    progress: false,
    log: () => {},
    stackSize,
  });
  f.optimizer.dispose();
  models.forEach((m) => m.dispose());
  return { loss: f.history[0].reduce((a, m) => a + m.train_loss, 0) / MEMBERS, stackSize: f.stackSize };
}

function seedsFlag() {
  const v = flag('seeds');
  if (v === undefined) return SEEDS;
  const seeds = v.split(',').map(Number);
  if (!seeds.every((s) => SEEDS.includes(s)))
    throw new Error(`--seeds takes members' seeds from ${SEEDS.join(',')} separated by commas, got '${v}'`);
  return seeds;
}

async function sequential(nn, train) {
  const seeds = seedsFlag();
  let loss = 0;
  for (const s of seeds) {
    const model = nn.seedCnn(new nn.RandomGenerator(s));
    const opt = new nn.optim.Adam(model.parameters(), { lr: 1e-3 });
    const loader = new nn.data.DataLoader(train, { batchSize: 128, shuffle: true, seed: s });
    const f = await nn.fit(model, loader, { epochs: 1, optimizer: opt, progress: false, log: () => {} });
    loss += f.history[0].train_loss;
    opt.dispose();
    model.dispose();
  }
  return { loss: loss / seeds.length, stackSize: 1, members: seeds.length };
}

async function measure(id, { quick }) {
  const how = { 'ensemble-train': batched, 'ensemble-train-sequential': sequential }[id];
  if (!how) throw new Error(`bench/ensemble.mjs has no workload '${id}' (it has: ensemble-train, ensemble-train-sequential)`);
  const nn = await import(new URL('../dist/index.js', import.meta.url).href);
  const train = loadTrain(nn, ensembleImages(quick));
  const c0 = cpuNow(),
    t0 = performance.now();
  const { loss: meanLoss, stackSize, members = MEMBERS } = await how(nn, train);
  const seconds = (performance.now() - t0) / 1000,
    cpuSeconds = cpuNow() - c0;
  return {
    value: seconds,
    unit: 's',
    cpu_seconds: cpuSeconds,
    note: `${cpuSeconds.toFixed(1)} s of CPU time (all threads)${id === 'ensemble-train' ? `, stacks of ${stackSize}` : ''}`,
    mean_train_loss: meanLoss,
    members,
    stack_size: stackSize,
    threads: nn.native.numThreads(),
  };
}

await serve(import.meta.url, measure);
