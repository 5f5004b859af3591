// Workload `knn` of the suite: exact k-NN (k = 3) of the MNIST test images among the training
// images on the raw pixels: nnlab's knnClassify (the native knnExact search) against faiss
// IndexFlatL2 and scikit-learn's KNeighborsClassifier (bench/peers/knn_peers.py), each in its own
// process, all on every core: wall seconds of the best of R runs (index/fit + search + vote, data
// already in memory) and the test accuracy, which must be the same for all three (the search is
// exact; footnotes show it). The goal (issue 8): nnlab <= 0.5x faiss's time.
//   node bench/run.mjs --only knn [--quick]
//   node bench/knn.mjs --workload knn [--quick]     nnlab's side alone (one JSON line)
import { cpus } from 'node:os';

import { PYTHON, ROOT, serve } from './harness.mjs';

const K = 3;
/** Sizes and repetitions: full MNIST best of 3, or 10k train / 1k test once with --quick. */
export const knnPlan = (quick) => (quick ? { train: 10000, test: 1000, repeat: 1 } : { train: 60000, test: 10000, repeat: 3 });
/** The peers search on as many threads as nnlab's pool has (NNLAB_THREADS, else every core). */
const threads = () => Number(process.env.NNLAB_THREADS) || cpus().length;

export const accuracyNote = (accuracy) => `test accuracy ${(100 * accuracy).toFixed(2)}%`;

export function workloads({ quick }) {
  const p = knnPlan(quick);
  const peer = (name, which) => ({
    name,
    runs: [
      {
        label: which,
        cmd: PYTHON,
        args: [
          `${ROOT}bench/peers/knn_peers.py`,
          '--peer',
          which,
          '--train',
          String(p.train),
          '--test',
          String(p.test),
          '--k',
          String(K),
          '--threads',
          String(threads()),
          '--repeat',
          String(p.repeat),
        ],
      },
    ],
  });
  return [
    {
      id: 'knn',
      title: `exact k-NN k=${K}, ${quick ? 'MNIST subset' : 'full MNIST'}`,
      size: `${p.train}/${p.test} train/test, best ${p.repeat}`,
      unit: 's',
      better: 'lower',
      peers: [peer('faiss IndexFlatL2', 'faiss'), peer('sklearn KNeighbors', 'sklearn')],
    },
  ];
}

function mnistBytes(nn, split, limit) {
  const d = nn.data.loadDataset('mnist')[split];
  const n = Math.min(limit, d.images.shape[0]);
  const dim = d.images.numel / d.images.shape[0];
  const out = { pixels: d.images.data().slice(0, n * dim), labels: d.labels.data().slice(0, n), n };
  d.images.dispose();
  d.labels.dispose();
  return out;
}

async function measure(id, { quick }) {
  if (id !== 'knn') throw new Error(`bench/knn.mjs has no workload '${id}' (it has: knn)`);
  const nn = await import(new URL('../dist/index.js', import.meta.url).href);
  const { knnClassify } = await import(new URL('../dist/models/knn.js', import.meta.url).href);
  const p = knnPlan(quick);
  const train = mnistBytes(nn, 'train', p.train),
    test = mnistBytes(nn, 'test', p.test);
  const runs = [];
  let out;
  for (let r = 0; r < p.repeat; r++) {
    const t0 = performance.now();
    out = knnClassify(train, test, K);
    runs.push((performance.now() - t0) / 1000);
  }
  const accuracy = out.pred.reduce((s, v, i) => s + (v === test.labels[i] ? 1 : 0), 0) / test.n;
  return {
    value: Math.min(...runs),
    unit: 's',
    runs_s: runs,
    accuracy,
    proj_dim: out.projDim,
    threads: nn.native.numThreads(),
    note: accuracyNote(accuracy),
  };
}

await serve(import.meta.url, measure);
