// SGEMM throughput of nnlab's matmul against torch.mm, measured in the same run and
// interleaved shape by shape (the machine is shared, so its speed drifts: pairing nnlab's and
// torch's timings of the same round keeps their ratio meaningful).
//
//   node bench/gemm.mjs [--quick]        prints a table
//   import { run } from './bench/gemm.mjs'; await run({ quick: true })  -> rows
//
// The torch peer runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment
// (some machines preset them and they halve OpenBLAS's speed), unless run() is given them back.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import nodeGypBuild from 'node-gyp-build';

import { peerEnv } from './harness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const native = process.env.NNLAB_ADDON ? createRequire(import.meta.url)(process.env.NNLAB_ADDON) : nodeGypBuild(root);

// [label, M, N, K]: the square sizes of the goal, then shapes of conv (im2col) and linear layers.
const SHAPES = [
  ['1024^3', 1024, 1024, 1024],
  ['2048^3', 2048, 2048, 2048],
  ['conv 64x15488x288', 64, 15488, 288],
  ['conv 32x86528x9', 32, 86528, 9],
  ['linear 128x128x1600', 128, 128, 1600],
  ['linear 128x10x512', 128, 10, 512],
];

function timeNnlab(m, n, k, reps) {
  const a = native.rand('uniform', [m, k], 1, 0, -1, 1, 'cpu');
  const b = native.rand('uniform', [k, n], 2, 0, -1, 1, 'cpu');
  const once = () => {
    const t0 = performance.now();
    const c = native.matmul(a, b);
    const dt = performance.now() - t0;
    c.dispose();
    return dt;
  };
  once();
  once();
  const times = [];
  for (let i = 0; i < reps; i++) times.push(once());
  a.dispose();
  b.dispose();
  times.sort((x, y) => x - y);
  const ms = times[times.length >> 1];
  return { ms, gflops: (2 * m * n * k) / (ms * 1e6) };
}

/** The torch.mm server; peerExtra adds to its environment (say, an OpenBLAS preset back). */
function startPeer(peerExtra) {
  const env = peerEnv(peerExtra);
  const child = spawn('/usr/bin/python3', [fileURLToPath(new URL('./peers/torch_gemm.py', import.meta.url)), '--serve'], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('torch peer exited early');
    return JSON.parse(value);
  };
  return {
    ready: next(),
    async time(m, n, k, reps) {
      child.stdin.write(`${m} ${n} ${k} ${reps}\n`);
      return next();
    },
    close() {
      child.stdin.end();
    },
  };
}

const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];

// OpenBLAS's worker threads spin after each product before they sleep (2^28 cycles by default,
// ~70 ms at 3.7 GHz): timing nnlab straight after torch.mm would share the cores with them. On a
// 2-core AMD host that halved nnlab's 1024^3 figure in the rounds after torch's 2-thread runs.
const PEER_QUIET_MS = 300;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rows { shape, m, n, k, nnlabGflops, torchGflops, ratio } (ratio = median of per-round ratios). */
export async function run({ quick = false, peerExtra = {} } = {}) {
  const peer = startPeer(peerExtra);
  const peerInfo = await peer.ready;
  const rounds = quick ? 1 : 5;
  const shapes = quick ? SHAPES.filter(([label]) => label !== '2048^3') : SHAPES;
  const rows = [];
  for (const [label, m, n, k] of shapes) {
    const reps = Math.max(3, Math.min(25, Math.round(2e9 / (2 * m * n * k))));
    const ours = [],
      theirs = [],
      ratios = [];
    for (let r = 0; r < rounds; r++) {
      const o = timeNnlab(m, n, k, reps).gflops;
      const t = (await peer.time(m, n, k, reps)).gflops;
      await sleep(PEER_QUIET_MS);
      ours.push(o);
      theirs.push(t);
      ratios.push(o / t);
    }
    rows.push({ shape: label, m, n, k, nnlabGflops: median(ours), torchGflops: median(theirs), ratio: median(ratios) });
  }
  peer.close();
  return { rows, threads: native.numThreads(), peer: peerInfo };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { rows, threads, peer } = await run({ quick: process.argv.includes('--quick') });
  console.log(
    `nnlab matmul vs torch.mm ${peer.torch} (BLAS ${peer.blas}), nnlab threads ${threads}; ` +
      'peer run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset',
  );
  console.log('shape'.padEnd(22) + 'nnlab GFLOP/s'.padStart(15) + 'torch GFLOP/s'.padStart(15) + 'ratio'.padStart(8));
  for (const r of rows)
    console.log(
      r.shape.padEnd(22) + r.nnlabGflops.toFixed(1).padStart(15) + r.torchGflops.toFixed(1).padStart(15) + r.ratio.toFixed(2).padStart(8),
    );
}
