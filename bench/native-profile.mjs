// Where a training run's time goes, native call by native call: every function of the addon is
// wrapped with a timer, then one of the suite's training workloads runs through the public API
// (`fit`, or `fitBatched` for the 7-member ensemble). Prints each call's total time, count and
// share of the wall time, the time spent outside native calls (JavaScript, GC), and the CPU time
// per step. `audio` is bench/audio.mjs's audio-cnn-train loop (the audio CNN, SGD with momentum,
// batch 16, on seeded noise of the log-mel shape), not `fit`. With --by-shape the heavy calls are split by the shapes of their tensor arguments. A
// profile, not a benchmark: no peer, no ratio (`npm run bench` compares). Build first (npm run
// build:ts).
//   node bench/native-profile.mjs [--workload mlp|cnn|ensemble|audio] [--images N] [--by-shape] [--top K]
//   node bench/native-profile.mjs --workload seed002-mlp|seed002-autoencoder   (an epoch of the
//     seed-002 study through its own loop, as bench/seed002.mjs times it; --images is ignored)
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'mlp' },
    images: { type: 'string', default: '12800' },
    'by-shape': { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
  },
});
const WORKLOADS = ['mlp', 'cnn', 'ensemble', 'audio', 'seed002-mlp', 'seed002-autoencoder'];
if (!WORKLOADS.includes(values.workload)) throw new Error(`--workload must be one of ${WORKLOADS.join(', ')}, got '${values.workload}'`);
const images = Number(values.images),
  top = Number(values.top);
if (!Number.isInteger(images) || images < 128)
  throw new Error(`--images must be an integer of at least 128 (one batch), got '${values.images}'`);
if (!Number.isInteger(top) || top < 1) throw new Error(`--top must be a positive integer, got '${values.top}'`);

const nn = await import(new URL('../dist/index.js', import.meta.url).href);
const native = nn.native;

// Shapes of the tensor arguments (arrays of tensors included), as the key of --by-shape.
const isTensor = (v) => v !== null && typeof v === 'object' && Array.isArray(v.shape) && typeof v.dispose === 'function';
const shapeKey = (args) =>
  args
    .flatMap((a) => (isTensor(a) ? [a.shape.join('x')] : Array.isArray(a) && a.length && isTensor(a[0]) ? [`[${a.length}]`] : []))
    .join(' ');

const stats = new Map();
let timing = false;
const record = (key, ms, cpuMs) => {
  const s = stats.get(key) ?? { ms: 0, cpuMs: 0, calls: 0 };
  s.ms += ms;
  s.cpuMs += cpuMs;
  s.calls++;
  stats.set(key, s);
};
const cpuMsNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// The wrappers replace the addon's properties, which lib/ calls through the same object.
for (const name of Object.keys(native)) {
  const fn = native[name];
  if (typeof fn !== 'function') continue;
  native[name] = function (...args) {
    if (!timing) return fn.apply(this, args);
    const c0 = cpuMsNow(),
      t0 = performance.now();
    const out = fn.apply(this, args);
    const ms = performance.now() - t0;
    record(values['by-shape'] ? `${name} ${shapeKey(args)}` : name, ms, cpuMsNow() - c0);
    return out;
  };
}

const audio = values.workload === 'audio';

function mnistTrain() {
  const d = nn.data.loadDataset('mnist');
  const n = Math.min(images, d.train.images.shape[0]);
  return nn.tidy(() => {
    const unit = nn.data.toUnitFloat(nn.data.rowsOf(d.train.images, 0, n));
    return nn.data.tensorDataset(nn.data.normalize(unit, nn.data.pixelStats(unit)).keep(), nn.data.rowsOf(d.train.labels, 0, n).keep());
  });
}
// bench/audio.mjs's inputs: seeded noise of the log-mel shape [1, 128, 41], labels i % 10.
function audioTrain() {
  const gen = new nn.RandomGenerator(2);
  return nn.data.tensorDataset(
    nn.ops.randn([images, 1, 128, 41], { generator: gen }),
    nn.ops.tensor(
      Int32Array.from({ length: images }, (_, i) => i % 10),
      [images],
    ),
  );
}
const seed002 = values.workload.startsWith('seed002-')
  ? (await import('./seed002.mjs')).seed002Setup(nn, values.workload.slice('seed002-'.length))
  : null;
const BATCH = audio ? 16 : seed002 ? seed002.batch : 128;
const train = audio ? audioTrain() : seed002 ? null : mnistTrain();
const n = train ? train.x.shape[0] : seed002.n;
const SEEDS = [1, 2, 3, 4, 5, 6, 7];

// The step of bench/audio.mjs's audio-cnn-train, as that bench runs it.
async function runAudio() {
  const { audioCnn } = await import(new URL('../dist/models/audio-cnn.js', import.meta.url).href);
  const model = audioCnn(128, 41, new nn.RandomGenerator(2));
  const opt = new nn.optim.SGD(model.parameters(), { lr: 1e-3, momentum: 0.9 });
  const loader = new nn.data.DataLoader(train, { batchSize: BATCH, shuffle: true, seed: 0 });
  for (const b of loader.batches(0)) {
    nn.tidy(() => {
      const l = nn.ops.crossEntropy(model.forward(b.x), b.y);
      nn.backward(l);
      opt.step();
      l.item();
    });
    opt.zeroGrad();
    b.x.dispose();
    b.y.dispose();
  }
  model.dispose();
  return Math.ceil(n / BATCH);
}

const { trainMinibatches } = await import(new URL('../dist/studies/shared/minibatch-loop.js', import.meta.url).href);
let seed002Epoch = 0;

async function run() {
  if (seed002) {
    const { n: rows, x, target, optimizer, loss, batch, reduction } = seed002;
    await trainMinibatches(x, target, { epochs: 1, batch, seed: seed002Epoch++, optimizer, loss, reduction });
    return Math.ceil(rows / batch);
  }
  if (audio) return runAudio();
  if (values.workload === 'ensemble') {
    const models = SEEDS.map((s) => nn.seedCnn(new nn.RandomGenerator(s)));
    const f = await nn.fitBatched(models, train, { epochs: 1, batchSize: 128, seeds: SEEDS, lr: 1e-3, progress: false, log: () => {} });
    f.optimizer.dispose();
    models.forEach((m) => m.dispose());
    return n / 128;
  }
  const model = (values.workload === 'cnn' ? nn.seedCnn : nn.mlp)(new nn.RandomGenerator(0));
  const optimizer = new nn.optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new nn.data.DataLoader(train, { batchSize: 128, shuffle: true, seed: 0 });
  await nn.fit(model, loader, { epochs: 1, optimizer, progress: false, log: () => {} });
  optimizer.dispose?.();
  model.dispose();
  return Math.ceil(n / 128);
}

await run(); // warm-up: caches, packing buffers, the allocator's pools
stats.clear();
timing = true;
const t0 = performance.now(),
  cpu0 = process.cpuUsage();
const steps = await run();
const wall = performance.now() - t0;
// CPU time of the whole process (every thread of the addon's pool): on a loaded machine the wall
// time mostly measures waiting for a core, the CPU time the work done.
const cpu = process.cpuUsage(cpu0);
timing = false;

const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
const inNative = rows.reduce((a, [, s]) => a + s.ms, 0),
  cpuInNative = rows.reduce((a, [, s]) => a + s.cpuMs, 0);
console.log(
  `${values.workload}: ${steps} steps of batch ${BATCH} on ${native.numThreads()} threads, ${(wall / 1000).toFixed(2)} s, ` +
    `${(wall / steps).toFixed(2)} ms/step, CPU ${((cpu.user + cpu.system) / 1000 / steps).toFixed(2)} ms/step (${(cpuInNative / steps).toFixed(2)} in native calls); native calls ${((100 * inNative) / wall).toFixed(1)}%, outside them ${((100 * (wall - inNative)) / wall).toFixed(1)}%`,
);
// cpu us/call: the process's CPU time across the call (all pool threads, spinning included); on a
// loaded machine it is the steadier figure, and with NNLAB_THREADS=1 it is the call's own work.
console.log(
  'call'.padEnd(56) +
    'us/step'.padStart(10) +
    'calls/step'.padStart(12) +
    'us/call'.padStart(10) +
    'cpu us/call'.padStart(13) +
    'share'.padStart(8),
);
for (const [key, s] of rows.slice(0, top))
  console.log(
    key.slice(0, 55).padEnd(56) +
      ((s.ms * 1000) / steps).toFixed(0).padStart(10) +
      (s.calls / steps).toFixed(1).padStart(12) +
      ((s.ms * 1000) / s.calls).toFixed(1).padStart(10) +
      ((s.cpuMs * 1000) / s.calls).toFixed(1).padStart(13) +
      `${((100 * s.ms) / wall).toFixed(1)}%`.padStart(8),
  );
if (rows.length > top) {
  const rest = rows.slice(top).reduce((a, [, s]) => a + s.ms, 0);
  console.log(
    `(${rows.length - top} more)`.padEnd(56) +
      ((rest * 1000) / steps).toFixed(0).padStart(10) +
      ''.padStart(35) +
      `${((100 * rest) / wall).toFixed(1)}%`.padStart(8),
  );
}
