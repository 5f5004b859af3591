// ResNet18 workloads (torchvision layout, fc 512->10) on MNIST resized to 32x32 and replicated to
// 3 channels, as in the seed-000 studies: training steps (batch 512, Adam lr 1e-4, weight decay
// 1e-4), inference (batch 1000), and its convolution layers alone (forward; backward = grad input
// + grad weight) at the training batch. Peer: torchvision's resnet18 on PyTorch 1.13
// (bench/peers/torch_resnet.py, 1 and 2 threads).
// nnlab's ResNet18 comes from dist/nn/resnet.js (lib/nn/resnet.ts): until that is built the
// training and inference workloads report "pending"; the conv layers use the native kernels and
// run today.
//   node bench/run.mjs --only resnet
//   node bench/resnet.mjs --workload resnet18-train [--quick]
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

import { resnet18Flops } from '../dist/bench/index.js';
import { convFlops, medianMs, serve, torchPeer } from './harness.mjs';

// [name, C, K, kernel, stride, pad, H] of the input; torchvision resnet18 on a 32x32 input.
const STEM = ['conv1 7x7/2', 3, 64, 7, 2, 3, 32];
const CONV_LAYERS = [
  STEM,
  ['layer1 3x3', 64, 64, 3, 1, 1, 8],
  ['layer2 3x3', 128, 128, 3, 1, 1, 4],
  ['layer3 3x3', 256, 256, 3, 1, 1, 2],
  ['layer4 3x3', 512, 512, 3, 1, 1, 1],
];
const outSize = (h, k, s, p) => Math.floor((h + 2 * p - k) / s) + 1;
const layerFlops = ([, c, k, r, s, p, h], n = 1) => convFlops(n, c, k, r, r, outSize(h, r, s, p), outSize(h, r, s, p));

/** Forward and training FLOPs per image: every conv of the network (strided and 1x1 downsamples too) and fc (lib/bench/flops.ts). */
const FLOPS = resnet18Flops();

const plan = (quick) => ({
  batch: quick ? 128 : 512,
  steps: quick ? 2 : 5,
  inferImages: quick ? 1000 : 5000,
  convBatch: quick ? 64 : 512,
  reps: quick ? 3 : 10,
});

export function workloads({ quick }) {
  const p = plan(quick);
  const rows = [
    {
      id: 'resnet18-train',
      title: 'ResNet18 training (32x32)',
      size: `batch ${p.batch}, ${p.steps} steps after 1 warm-up`,
      unit: 'images/s',
      better: 'higher',
      gflop: FLOPS.train / 1e9,
      peers: [
        torchPeer('torch_resnet.py', ['--only', 'train', '--batch', String(p.batch), '--steps', String(p.steps)], {
          quick,
          name: 'PyTorch+torchvision',
        }),
      ],
    },
    {
      id: 'resnet18-infer',
      title: 'ResNet18 inference (32x32)',
      size: `${p.inferImages} images, batch 1000`,
      unit: 'images/s',
      better: 'higher',
      gflop: FLOPS.forward / 1e9,
      peers: [torchPeer('torch_resnet.py', ['--only', 'infer', '--images', String(p.inferImages)], { quick, name: 'PyTorch+torchvision' })],
    },
  ];
  for (const [i, L] of CONV_LAYERS.entries()) {
    for (const op of ['forward', 'backward']) {
      const fwd = layerFlops(L, p.convBatch) / 1e9;
      rows.push({
        id: `resnet18-conv${i}-${op}`,
        title: `ResNet18 ${L[0]} ${op}`,
        size: `batch ${p.convBatch}, ${L[1]}x${L[6]}x${L[6]} in`,
        unit: 'ms',
        better: 'lower',
        gflop: op === 'forward' ? fwd : i === 0 ? fwd : 2 * fwd, // the stem's input needs no gradient
        peers: [
          torchPeer(
            'torch_resnet.py',
            ['--only', 'conv', '--layer', String(i), '--op', op, '--batch', String(p.convBatch), '--reps', String(p.reps)],
            { quick },
          ),
        ],
      });
    }
  }
  return rows;
}

function measureConv(i, op, p) {
  const native = createRequire(import.meta.url)('node-gyp-build')(new URL('..', import.meta.url).pathname);
  const [, c, k, r, s, pad, h] = CONV_LAYERS[i];
  const P = [s, s, pad, pad, 1, 1, 1];
  const rand = (shape, seed) => native.reshape(native.rand('normal', [shape.reduce((a, b) => a * b)], seed, 0, 0, 1, 'cpu'), shape);
  const xs = [p.convBatch, c, h, h],
    ws = [k, c, r, r];
  const x = rand(xs, 1),
    w = rand(ws, 2);
  const y = native.conv2d(x, w, null, ...P);
  const dy = rand(y.shape, 3);
  const fn =
    op === 'forward'
      ? () => native.conv2d(x, w, null, ...P).dispose()
      : () => {
          if (i !== 0) native.conv2dBackwardInput(dy, w, xs, ...P).dispose();
          native.conv2dBackwardWeight(x, dy, ws, ...P).dispose();
        };
  return { value: medianMs(fn, p.reps), unit: 'ms', threads: native.numThreads() };
}

/** nnlab's ResNet18 from the built dist, or null when lib/nn/resnet.ts has not landed yet. */
async function loadResnet18(nn) {
  const file = new URL('../dist/nn/resnet.js', import.meta.url);
  if (!existsSync(file)) return null;
  const mod = await import(file.href);
  if (typeof mod.resnet18 === 'function') return mod.resnet18({ numClasses: 10, generator: new nn.RandomGenerator(0) });
  if (typeof mod.ResNet18 === 'function') return new mod.ResNet18({ numClasses: 10, generator: new nn.RandomGenerator(0) });
  throw new Error(`dist/nn/resnet.js exports neither resnet18() nor ResNet18 (it has: ${Object.keys(mod).join(', ')})`);
}

/** MNIST images [0, n) as the studies feed ResNet18: [n, 3, 32, 32], normalised. */
function resnetInput(nn, images, n) {
  return nn
    .tidy(() => {
      const x = nn.data.toUnitFloat(nn.data.rowsOf(images, 0, n));
      return nn.data.replicateChannels(nn.data.resize(nn.data.normalize(x, nn.data.pixelStats(x)), 32, 32), 3);
    })
    .keep();
}

async function measure(id, { quick }) {
  const p = plan(quick);
  const conv = /^resnet18-conv(\d)-(forward|backward)$/.exec(id);
  if (conv) return measureConv(Number(conv[1]), conv[2], p);
  const nn = await import(new URL('../dist/index.js', import.meta.url).href);
  const model = await loadResnet18(nn);
  if (!model) return { pending: 'nnlab ResNet18 not built (no dist/nn/resnet.js: lib/nn/resnet.ts has not landed)' };
  const d = nn.data.loadDataset('mnist');
  const threads = nn.native.numThreads();
  if (id === 'resnet18-infer') {
    const x = resnetInput(nn, d.test.images, p.inferImages);
    const test = nn.data.tensorDataset(x, nn.data.rowsOf(d.test.labels, 0, p.inferImages).keep());
    model.eval();
    nn.noGrad(() => nn.tidy(() => model.forward(nn.data.rowsOf(x, 0, 100)).data())); // warm-up
    const t0 = performance.now();
    const ev = nn.evaluate(model, new nn.data.DataLoader(test, { batchSize: 1000 }));
    return { value: ev.n / ((performance.now() - t0) / 1000), unit: 'images/s', threads };
  }
  const n = (p.steps + 1) * p.batch;
  const x = resnetInput(nn, d.train.images, n),
    y = nn.data.rowsOf(d.train.labels, 0, n).keep();
  const optimizer = new nn.optim.Adam(model.parameters(), { lr: 1e-4, weightDecay: 1e-4 });
  model.train();
  let seconds = 0;
  for (let s = 0; s <= p.steps; s++) {
    // step 0 is the warm-up
    const t0 = performance.now();
    nn.tidy(() => {
      const loss = nn.ops.crossEntropy(
        model.forward(nn.data.rowsOf(x, s * p.batch, (s + 1) * p.batch)),
        nn.data.rowsOf(y, s * p.batch, (s + 1) * p.batch),
      );
      nn.backward(loss);
      optimizer.step();
      loss.item();
    });
    optimizer.zeroGrad();
    if (s > 0) seconds += (performance.now() - t0) / 1000;
  }
  return { value: (p.steps * p.batch) / seconds, unit: 'images/s', threads };
}

await serve(import.meta.url, measure);
