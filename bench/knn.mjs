// Exact k-NN (k = 3) on MNIST raw pixels: nnlab's knnClassify (the native knnExact search) against
// faiss IndexFlatL2 and scikit-learn's KNeighborsClassifier (bench/peers/knn_peers.py) in the same
// run, all on every core: wall seconds (best of --repeat), test accuracy, and how many times
// faster nnlab is. nnlab runs through its public API from dist/ (npm run build:ts).
//   node bench/knn.mjs [--quick] [--repeat R] [--ops]
//     --quick  10k train / 1k test images instead of 60k / 10k
//     --ops    also time the building blocks pairwiseSqDist + topk on random data of the same size
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const nn = await import(new URL('../dist/index.js', import.meta.url).href);
const { knnClassify } = await import(new URL('../dist/studies/knn.js', import.meta.url).href);

function mnistBytes(split, limit) {
  const d = nn.data.loadDataset('mnist')[split];
  const n = Math.min(limit, d.images.shape[0]);
  const dim = d.images.numel / d.images.shape[0];
  const out = { pixels: d.images.data().slice(0, n * dim), labels: d.labels.data().slice(0, n), n };
  d.images.dispose();
  d.labels.dispose();
  return out;
}

function bestOf(repeat, fn) {
  let best = Infinity, out;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    out = fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { seconds: best, out };
}

const accuracy = (pred, labels) => pred.reduce((s, p, i) => s + (p === labels[i] ? 1 : 0), 0) / labels.length;

function peers(nTrain, nTest, repeat) {
  const r = spawnSync('/usr/bin/python3', [`${root}bench/peers/knn_peers.py`, '--train', String(nTrain), '--test', String(nTest),
    '--threads', String(nn.native.numThreads()), '--repeat', String(repeat)], { encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || 'k-NN peers failed').trim().split('\n').pop() };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// The building blocks on random data: one distance GEMM over every pair, then a top-k scan.
function opsRun(m, n, d) {
  const native = nn.native;
  const a = native.reshape(native.rand('uniform', [m * d], 1, 0, 0, 1, 'cpu'), [m, d]);
  const b = native.reshape(native.rand('uniform', [n * d], 2, 0, 0, 1, 'cpu'), [n, d]);
  const t0 = performance.now();
  const dist = native.pairwiseSqDist(a, b);
  const t1 = performance.now();
  const [values, indices] = native.topk(dist, 3, false);
  const t2 = performance.now();
  for (const t of [a, b, dist, values, indices]) t.dispose();
  return { sqdist: (t1 - t0) / 1000, topk: (t2 - t1) / 1000, gflops: (2 * m * n * d) / 1e9 / ((t1 - t0) / 1000) };
}

export async function run({ quick = false, repeat = 1 } = {}) {
  const nTrain = quick ? 10000 : 60000, nTest = quick ? 1000 : 10000, k = 3;
  const train = mnistBytes('train', nTrain), test = mnistBytes('test', nTest);
  const ours = bestOf(repeat, () => knnClassify(train, test, k));
  const nnlab = { seconds: ours.seconds, accuracy: accuracy(ours.out.pred, test.labels), projDim: ours.out.projDim };
  const p = peers(nTrain, nTest, repeat);
  const rows = ['faiss', 'sklearn'].map((name) => {
    const peer = p.error ? { error: p.error } : p[name];
    return {
      workload: `exact k-NN k=${k}, MNIST ${nTrain}/${nTest}`, peerName: name === 'faiss' ? 'faiss IndexFlatL2' : 'sklearn KNeighborsClassifier',
      nnlab: nnlab.seconds, nnlabAccuracy: nnlab.accuracy, peer: peer.error ? null : peer.seconds,
      peerAccuracy: peer.error ? null : peer.accuracy, ratio: peer.error ? null : peer.seconds / nnlab.seconds, error: peer.error,
    };
  });
  return { rows, nnlab, peers: p, threads: nn.native.numThreads() };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--repeat');
  const quick = args.includes('--quick');
  const r = await run({ quick, repeat: at >= 0 ? Number(args[at + 1]) : 1 });
  console.log(`exact k-NN on MNIST raw pixels, ${r.threads ?? '?'} threads, best of ${at >= 0 ? args[at + 1] : 1}`);
  console.log(`  nnlab knnClassify            ${r.nnlab.seconds.toFixed(2).padStart(7)} s   accuracy ${(100 * r.nnlab.accuracy).toFixed(2)}%  (pruned in ${r.nnlab.projDim} dims)`);
  for (const row of r.rows)
    console.log(row.error ? `  ${row.peerName.padEnd(29)} missing: ${row.error}`
      : `  ${row.peerName.padEnd(29)}${row.peer.toFixed(2).padStart(7)} s   accuracy ${(100 * row.peerAccuracy).toFixed(2)}%  nnlab ${row.ratio.toFixed(2)}x faster`);
  if (args.includes('--ops')) {
    const o = opsRun(quick ? 1000 : 10000, quick ? 10000 : 60000, 784);
    console.log(`  building blocks on random data: pairwiseSqDist ${o.sqdist.toFixed(2)} s (${o.gflops.toFixed(1)} GFLOP/s), topk ${o.topk.toFixed(2)} s`);
  }
}
