// Two worker threads train an MLP with nnlab while the main thread trains one too; then the
// workers exit and the main thread keeps using the addon. Before the addon kept its state per
// environment this aborted ("Entering the V8 API without proper locking") or segfaulted after a
// worker exited. Prints one JSON line; a crash shows as a signal or a non-zero exit status.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const nnlab = await import(process.env.NNLAB_DIST ?? new URL('../../dist/index.js', import.meta.url).href);
const { RandomGenerator, nn, ops, optim, tensor, tidy } = nnlab;

function train(seed, steps) {
  const gen = new RandomGenerator(seed);
  const model = new nn.Sequential(new nn.Linear(16, 32, { generator: gen }), new nn.ReLU(), new nn.Linear(32, 4, { generator: gen }));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const x = tensor(
    Float32Array.from({ length: 64 * 16 }, (_, i) => Math.sin(i * 0.37 + seed)),
    [64, 16],
  ).keep();
  const y = tensor(
    Int32Array.from({ length: 64 }, (_, i) => (i * 7 + seed) % 4),
    [64],
  ).keep();
  let first = 0,
    last = 0;
  for (let s = 0; s < steps; s++) {
    const loss = tidy(() => {
      const l = ops.crossEntropy(model.forward(x), y);
      l.backward();
      opt.step();
      return l.item();
    });
    opt.zeroGrad();
    if (s === 0) first = loss;
    last = loss;
  }
  // A thrown native error must arrive as this environment's NnlabError class.
  let typed = false;
  try {
    ops.matmul(x, x);
  } catch (e) {
    typed = e instanceof nnlab.ShapeError;
  }
  model.dispose?.();
  return { first, last, typed };
}

if (isMainThread) {
  const steps = Number(process.argv[2] ?? 200);
  const workers = [1, 2].map((seed) => new Worker(new URL(import.meta.url), { workerData: { seed, steps } }));
  // Listen for the exits now: a worker may exit before the messages are all in.
  const exited = Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
  const fromWorkers = Promise.all(
    workers.map(
      (w) =>
        new Promise((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  const main = train(0, steps);
  const results = await fromWorkers;
  await exited;
  // After the workers' environments are gone the main thread's addon state must be intact.
  global.gc?.();
  const after = train(3, 20);
  console.log(JSON.stringify({ main, workers: results, after }));
} else {
  parentPort.postMessage(train(workerData.seed, workerData.steps));
}
