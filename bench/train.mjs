// Workloads of the models `nnlab train` builds (--model cnn|mlp), on real MNIST: a seed-CNN
// training epoch (batch 128, Adam 1e-3), seed-CNN inference (batch 1000 over the 10k test
// images, the median of 5 passes), and an MLP training epoch (784-200-200-10, batch 128, Adam 1e-3).
// Peers: PyTorch 1.13 (bench/peers/torch_train.py, 1 and 2 threads) and TensorFlow.js
// (bench/tfjs.mjs, cpu and wasm backends). nnlab runs through its public API from dist/.
//   node bench/run.mjs --only seed-cnn            all three, with their peers
//   node bench/train.mjs --workload seed-cnn-train [--quick]   nnlab's side alone (one JSON line)
import { MLP_FLOPS, SEED_CNN_FLOPS } from '../dist/bench/index.js';
import { median, serve, tfjsPeer, torchPeer } from './harness.mjs';

/** Forward and training FLOPs per image of the seed CNN and the MLP: lib/bench/flops.ts (bench/ensemble.mjs counts its members with it too). */
export { SEED_CNN_FLOPS } from '../dist/bench/index.js';

/** Passes over the 10k test images in the inference workload (median reported): nnlab and PyTorch alike. */
const INFER_PASSES = 5;

/** Training images of an epoch: the full 60k, or 10k with --quick. */
export const epochImages = (quick) => (quick ? 10000 : 60000);

export function workloads({ quick }) {
  const n = epochImages(quick);
  const torchArgs = (model, only) => ['--model', model, '--only', only, '--limit', String(n)];
  const peers = (model, only, id) => [
    torchPeer('torch_train.py', torchArgs(model, only), { quick }),
    tfjsPeer('cpu', id, quick),
    tfjsPeer('wasm', id, quick),
  ];
  // Images per second of a seed-CNN or MLP epoch, against torch and tfjs doing the same.
  const workload = (id, title, size, gflop, model, only) => ({
    id,
    title,
    size,
    unit: 'images/s',
    better: 'higher',
    gflop,
    peers: peers(model, only, id),
  });
  return [
    workload('seed-cnn-train', 'seed-CNN training epoch', `${n} images, batch 128`, SEED_CNN_FLOPS.train / 1e9, 'cnn', 'train'),
    workload('seed-cnn-infer', 'seed-CNN inference', '10000 images, batch 1000', SEED_CNN_FLOPS.forward / 1e9, 'cnn', 'infer'),
    workload('mlp-train', 'MLP training epoch', `${n} images, batch 128`, MLP_FLOPS.train / 1e9, 'mlp', 'train'),
  ];
}

async function measure(id, { quick }) {
  const nn = await import(new URL('../dist/index.js', import.meta.url).href);
  const d = nn.data.loadDataset('mnist');
  const model = (id.startsWith('mlp') ? nn.mlp : nn.seedCnn)(new nn.RandomGenerator(0));
  nn.manualSeed(0);
  const threads = nn.native.numThreads();
  if (id === 'seed-cnn-infer') {
    const x = nn.data.toUnitFloat(d.test.images);
    const test = nn.data.tensorDataset(nn.data.normalize(x, nn.data.pixelStats(x)).keep(), d.test.labels);
    const loader = new nn.data.DataLoader(test, { batchSize: 1000 });
    nn.evaluate(
      model,
      new nn.data.DataLoader(nn.data.tensorDataset(nn.data.rowsOf(test.x, 0, 1000), nn.data.rowsOf(test.y, 0, 1000)), { batchSize: 1000 }),
    ); // warm-up
    // One pass takes about 0.2 s, within the host's noise: the median of INFER_PASSES passes (the
    // PyTorch peer does the same).
    const rates = [];
    for (let pass = 0; pass < INFER_PASSES; pass++) {
      const t0 = performance.now();
      const ev = nn.evaluate(model, loader);
      rates.push(ev.n / ((performance.now() - t0) / 1000));
    }
    return { value: median(rates), unit: 'images/s', threads, passes: rates.map(Math.round) };
  }
  let x = nn.data.toUnitFloat(d.train.images),
    y = d.train.labels;
  const limit = epochImages(quick);
  if (limit < x.shape[0]) {
    x = nn.data.rowsOf(x, 0, limit);
    y = nn.data.rowsOf(y, 0, limit);
  }
  const train = nn.data.tensorDataset(nn.data.normalize(x, nn.data.pixelStats(x)).keep(), y.keep());
  const optimizer = new nn.optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new nn.data.DataLoader(train, { batchSize: 128, shuffle: true, seed: 0 });
  // nnlab's own training loop (what `nnlab train` runs): it also reads the loss and counts the
  // correct predictions every step, which the peers' loops do not.
  const r = await nn.fit(model, loader, { epochs: 1, optimizer, progress: false, log: () => {} });
  return { value: r.imagesPerSecond, unit: 'images/s', threads, epoch_s: r.secondsPerEpoch, train_loss: r.history[0].train_loss };
}

await serve(import.meta.url, measure);
