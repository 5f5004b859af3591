// Workloads of the seed-002 studies at their full presets' sizes, on real data: an epoch of the
// `mlp` study (784-100 sigmoid-10 softmax, cross-entropy summed over the batch, plain SGD lr 1e-4,
// batch 100, 10k MNIST images = 100 steps) and an epoch of the `autoencoder` study (784-128-32-2
// and its mirror, TanH, Sigmoid, MSE, SGD lr 0.5, batch 2048, 8000 FashionMNIST images = 4 steps).
// nnlab runs the studies' own loop (dist/studies/shared/minibatch-loop.js: one gather per epoch,
// contiguous batch views, the loss read every step); the peer (bench/peers/torch_seed002.py) is
// the same model, batch, optimizer and per-step loss.item() in PyTorch, 1 and 2 threads.
//   node bench/run.mjs --only seed002
//   node bench/seed002.mjs --workload seed002-mlp-epoch [--quick]   nnlab's side alone
import { linearFlops, median, perImageFlops, serve, torchPeer } from './harness.mjs';

const MLP_FLOPS = perImageFlops([linearFlops(1, 784, 100), linearFlops(1, 100, 10)]);
const AE_LAYERS = [784, 128, 32, 2, 32, 128, 784];
const AE_FLOPS = perImageFlops(AE_LAYERS.slice(1).map((out, i) => linearFlops(1, AE_LAYERS[i], out)));

/** Epochs timed (the median is reported) after one warm-up epoch. */
const timedEpochs = (quick) => (quick ? 3 : 7);

export function workloads({ quick }) {
  const epochs = String(timedEpochs(quick));
  // One epoch of a study: images/s of the median epoch, PyTorch running the same model.
  const epochRow = (model, title, data, flops) => ({
    id: `seed002-${model}-epoch`,
    title,
    size: `${data}, median of ${epochs} epochs`,
    unit: 'images/s',
    better: 'higher',
    gflop: flops.train / 1e9,
    peers: [torchPeer('torch_seed002.py', ['--model', model, '--epochs', epochs], { quick })],
  });
  return [
    epochRow('mlp', 'mlp study epoch (784-100-10, SGD)', '10000 MNIST images, batch 100', MLP_FLOPS),
    epochRow('autoencoder', 'autoencoder study epoch (784-128-32-2 x2, SGD)', '8000 FashionMNIST images, batch 2048', AE_FLOPS),
  ];
}

/**
 * The model, data and loop options of one seed-002 workload ('mlp' or 'autoencoder'), built through
 * `nn` (dist/index.js); bench/native-profile.mjs profiles the same steps.
 */
export function seed002Setup(nn, model) {
  const mlp = model === 'mlp';
  if (!mlp && model !== 'autoencoder') throw new Error(`unknown seed-002 model ${model}`);
  const d = nn.data.loadDataset(mlp ? 'mnist' : 'fashion');
  const n = mlp ? 10000 : 8000;
  const x = nn.tidy(() => nn.ops.reshape(nn.data.toUnitFloat(nn.data.rowsOf(d.train.images, 0, n)), [n, 784]).keep());
  const y = nn.tidy(() => nn.ops.clone(nn.data.rowsOf(d.train.labels, 0, n)).keep());
  const g = new nn.RandomGenerator(0);
  const L = (i, o) => new nn.nn.Linear(i, o, { generator: g });
  let net, loss, optimizer;
  if (mlp) {
    net = new nn.nn.Sequential(L(784, 100), new nn.nn.Sigmoid(), L(100, 10));
    loss = (xb, yb) => nn.ops.crossEntropy(net.forward(xb), yb, { reduction: 'sum' });
    optimizer = new nn.optim.SGD(net.parameters(), { lr: 1e-4 });
  } else {
    const layers = [];
    AE_LAYERS.slice(1).forEach((o, i) => {
      layers.push(L(AE_LAYERS[i], o));
      if (i < AE_LAYERS.length - 2 && i !== 2) layers.push(new nn.nn.Tanh());
    });
    layers.push(new nn.nn.Sigmoid());
    net = new nn.nn.Sequential(...layers);
    loss = (xb, target) => nn.nn.mseLoss(net.forward(xb), target);
    optimizer = new nn.optim.SGD(net.parameters(), { lr: 0.5 });
  }
  return { n, x, target: mlp ? y : x, model: net, loss, optimizer, batch: mlp ? 100 : 2048, reduction: mlp ? 'sum' : 'mean' };
}

async function measure(id, { quick }) {
  const nn = await import(new URL('../dist/index.js', import.meta.url).href);
  const { trainMinibatches } = await import(new URL('../dist/studies/shared/minibatch-loop.js', import.meta.url).href);
  const name = { 'seed002-mlp-epoch': 'mlp', 'seed002-autoencoder-epoch': 'autoencoder' }[id];
  if (!name) throw new Error(`unknown workload ${id}`);
  const { n, x, target, optimizer, loss, batch, reduction } = seed002Setup(nn, name);
  // CPU time per epoch too (both threads of the pool): on a loaded machine the wall time mostly
  // measures waiting for a core, the CPU time the work done.
  const seconds = [],
    cpu = [];
  const epochs = timedEpochs(quick) + 1;
  let cpu0 = process.cpuUsage();
  await trainMinibatches(x, target, {
    epochs,
    batch,
    seed: 0,
    optimizer,
    loss,
    reduction,
    onEpoch: (e, _l, s) => {
      const c = process.cpuUsage(cpu0);
      if (e > 0) {
        seconds.push(s);
        cpu.push((c.user + c.system) / 1e6);
      }
      cpu0 = process.cpuUsage();
    },
  });
  const epochS = median(seconds);
  return {
    value: n / epochS,
    unit: 'images/s',
    threads: nn.native.numThreads(),
    epoch_s: epochS,
    cpu_epoch_s: median(cpu),
    epochs_timed: seconds.length,
  };
}

await serve(import.meta.url, measure);
