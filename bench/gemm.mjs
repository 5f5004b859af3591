// SGEMM throughput of nnlab's matmul against torch.mm, measured in the same run and
// interleaved shape by shape (the machine is shared, so its speed drifts: pairing nnlab's and
// torch's timings of the same round keeps their ratio meaningful).
//
//   node bench/gemm.mjs [--quick]        prints a table
//   node bench/gemm.mjs --training [--peer-threads T] [--rounds R]
//                                        the small products of a training step (the seed CNN's
//                                        final linear layer, the seed-002 mlp) with the transposes
//                                        linearAct / linearActBackward run, nnlab's process CPU
//                                        time per product next to the wall figures; the peer runs
//                                        at T threads (OMP_NUM_THREADS and OPENBLAS_NUM_THREADS,
//                                        default 1: OpenBLAS otherwise uses every core)
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

// [label, M, N, K, ops]: the square sizes of the goal, then shapes of conv (im2col) and linear
// layers; ops names the transposes ('nt': op(A) = A, op(B) = B^T), 'nn' when absent.
const SHAPES = [
  ['1024^3', 1024, 1024, 1024],
  ['2048^3', 2048, 2048, 2048],
  ['conv 64x15488x288', 64, 15488, 288],
  ['conv 32x86528x9', 32, 86528, 9],
  ['linear 128x128x1600', 128, 128, 1600],
  ['linear 128x10x512', 128, 10, 512],
];

// The products of one training step of small linear layers, as the fused linear layer runs them
// for x [M, in], weight [out, in]: forward x W^T (M x out x in, 'nt'), dx = dz W (M x in x out,
// 'nn'), dW = dz^T x (out x in x M, 'tn').
const linearShapes = (name, batch, inF, outF, withDx = true) => [
  [`${name} fwd`, batch, outF, inF, 'nt'],
  ...(withDx ? [[`${name} dx`, batch, inF, outF, 'nn']] : []),
  [`${name} dW`, outF, inF, batch, 'tn'],
];
const TRAINING_SHAPES = [
  ...linearShapes('cnn fc 512->10', 128, 512, 10),
  ...linearShapes('mlp L1 784->100', 100, 784, 100, false), // the input needs no gradient
  ...linearShapes('mlp L2 100->10', 100, 100, 10),
];

/** Products timed together as one sample: a small product alone is too short for the clock. */
const innerCount = (m, n, k) => Math.max(1, Math.min(1000, Math.round(2e6 / (2 * m * n * k))));

/** Median ms per product (wall) and the process CPU ms per product over all samples. */
function timeNnlab(m, n, k, reps, ops = 'nn') {
  const ta = ops[0] === 't',
    tb = ops[1] === 't';
  const a = native.rand('uniform', ta ? [k, m] : [m, k], 1, 0, -1, 1, 'cpu');
  const b = native.rand('uniform', tb ? [n, k] : [k, n], 2, 0, -1, 1, 'cpu');
  const inner = innerCount(m, n, k);
  const once = () => {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) native.matmul(a, b, ta, tb).dispose();
    return (performance.now() - t0) / inner;
  };
  once();
  once();
  const times = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) times.push(once());
  const cpu = process.cpuUsage(cpu0);
  a.dispose();
  b.dispose();
  times.sort((x, y) => x - y);
  const ms = times[times.length >> 1];
  const cpuMs = (cpu.user + cpu.system) / 1e3 / (reps * inner);
  return { ms, cpuMs, gflops: (2 * m * n * k) / (ms * 1e6) };
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
    async time(m, n, k, reps, ops = 'nn') {
      child.stdin.write(`${m} ${n} ${k} ${reps} ${ops} ${innerCount(m, n, k)}\n`);
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

/**
 * Rows { shape, m, n, k, ops, nnlabGflops, nnlabCpuUs, torchGflops, ratio } (ratio = median of
 * per-round ratios; nnlabCpuUs: nnlab's process CPU microseconds per product, median of rounds).
 * training: the small products of TRAINING_SHAPES instead of SHAPES.
 */
export async function run({ quick = false, peerExtra = {}, training = false, rounds = quick ? 1 : 5 } = {}) {
  const peer = startPeer(peerExtra);
  const peerInfo = await peer.ready;
  const shapes = training ? TRAINING_SHAPES : quick ? SHAPES.filter(([label]) => label !== '2048^3') : SHAPES;
  const rows = [];
  for (const [label, m, n, k, ops = 'nn'] of shapes) {
    const reps = Math.max(training ? 15 : 3, Math.min(25, Math.round(2e9 / (2 * m * n * k))));
    const ours = [],
      cpuUs = [],
      theirs = [],
      ratios = [];
    for (let r = 0; r < rounds; r++) {
      const o = timeNnlab(m, n, k, reps, ops);
      const t = (await peer.time(m, n, k, reps, ops)).gflops;
      await sleep(PEER_QUIET_MS);
      ours.push(o.gflops);
      cpuUs.push(o.cpuMs * 1e3);
      theirs.push(t);
      ratios.push(o.gflops / t);
    }
    rows.push({
      shape: label,
      m,
      n,
      k,
      ops,
      nnlabGflops: median(ours),
      nnlabCpuUs: median(cpuUs),
      torchGflops: median(theirs),
      ratio: median(ratios),
    });
  }
  peer.close();
  return { rows, threads: native.numThreads(), peer: peerInfo };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const training = process.argv.includes('--training');
  const peerThreads = arg('--peer-threads') ?? (training ? '1' : undefined);
  const peerExtra = peerThreads ? { OMP_NUM_THREADS: peerThreads, OPENBLAS_NUM_THREADS: peerThreads } : {};
  const rounds = arg('--rounds') ? Number(arg('--rounds')) : undefined;
  const { rows, threads, peer } = await run({ quick: process.argv.includes('--quick'), peerExtra, training, rounds });
  console.log(
    `nnlab matmul vs torch.mm ${peer.torch} (BLAS ${peer.blas}), nnlab threads ${threads}, peer threads ` +
      `${peerThreads ?? 'default'}; peer run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset`,
  );
  console.log(
    'shape'.padEnd(22) +
      'MxNxK ops'.padStart(16) +
      'nnlab GFLOP/s'.padStart(15) +
      'nnlab CPU us'.padStart(14) +
      'torch GFLOP/s'.padStart(15) +
      'ratio'.padStart(8),
  );
  for (const r of rows)
    console.log(
      r.shape.padEnd(22) +
        `${r.m}x${r.n}x${r.k} ${r.ops}`.padStart(16) +
        r.nnlabGflops.toFixed(1).padStart(15) +
        r.nnlabCpuUs.toFixed(1).padStart(14) +
        r.torchGflops.toFixed(1).padStart(15) +
        r.ratio.toFixed(2).padStart(8),
    );
}
