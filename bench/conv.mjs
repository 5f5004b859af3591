// conv2d benchmark on the seed CNN's layers at batch 128 against PyTorch (CPU, same thread
// count) run as a peer process: bench/peers/torch_conv.py.
//   conv1 x[128,1,28,28]  w[32,1,3,3]:  forward, backward-weight (its input needs no gradient)
//   conv2 x[128,32,13,13] w[64,32,3,3]: forward, backward-input, backward-weight
// Usage: node bench/conv.mjs [--quick] [--threads T] [--no-torch]
// Timings are medians; the machine is shared, so repeat runs before trusting a ratio.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import nodeGypBuild from 'node-gyp-build';

const root = new URL('..', import.meta.url).pathname;
const native = nodeGypBuild(root);

const LAYERS = [
  { layer: 'conv1', x: [128, 1, 28, 28], w: [32, 1, 3, 3], needInputGrad: false },
  { layer: 'conv2', x: [128, 32, 13, 13], w: [64, 32, 3, 3], needInputGrad: true },
];
const P = [1, 1, 0, 0, 1, 1, 1];  // stride, padding, dilation, groups of both layers

function medianMs(fn, reps, warmup = 3) {
  for (let i = 0; i < warmup; i++) fn();
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

function torchPeer(quick, threads) {
  const env = { ...process.env };
  // The peer runs with its own BLAS defaults, not a core type or cache size forced on it.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const args = [`${root}bench/peers/torch_conv.py`, '--threads', String(threads)];
  if (quick) args.push('--quick');
  const r = spawnSync('/usr/bin/python3', args, { env, encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
  const out = new Map();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const o = JSON.parse(line);
    out.set(`${o.layer} ${o.op}`, o.ms);
  }
  return { out };
}

export function run({ quick = false, threads, torch = true } = {}) {
  if (threads) native.setNumThreads(threads);
  const nt = native.numThreads();
  const reps = quick ? 5 : 25;
  const rows = [];
  const rand = (shape, seed) => native.reshape(native.rand('normal', [shape.reduce((a, b) => a * b)], seed, 0, 0, 1, 'cpu'), shape);
  for (const L of LAYERS) {
    const x = rand(L.x, 1), w = rand(L.w, 2), b = rand([L.w[0]], 3);
    const y = native.conv2d(x, w, b, ...P);
    const dy = rand(y.shape, 4);
    const ops = [['forward', () => native.conv2d(x, w, b, ...P).dispose()]];
    if (L.needInputGrad) ops.push(['backward-input', () => native.conv2dBackwardInput(dy, w, L.x, ...P).dispose()]);
    ops.push(['backward-weight', () => native.conv2dBackwardWeight(x, dy, L.w, ...P).dispose()]);
    for (const [op, fn] of ops) rows.push({ layer: L.layer, op, ms: medianMs(fn, reps) });
    for (const t of [x, w, b, y, dy]) t.dispose();
  }
  if (torch) {
    const peer = torchPeer(quick, nt);
    for (const r of rows) {
      r.torchMs = peer.out?.get(`${r.layer} ${r.op}`) ?? null;
      r.ratio = r.torchMs ? r.ms / r.torchMs : null;
    }
    if (peer.error) rows.peerError = peer.error;
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--threads');
  const rows = run({ quick: args.includes('--quick'), threads: ti >= 0 ? Number(args[ti + 1]) : undefined, torch: !args.includes('--no-torch') });
  console.log(`conv2d, batch 128, ${native.numThreads()} threads (torch peer: same thread count; OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset)`);
  console.log('layer  op               nnlab ms   torch ms   nnlab/torch');
  const f = (v, d = 2) => (v == null ? '-' : v.toFixed(d));
  for (const r of rows)
    console.log(`${r.layer.padEnd(6)} ${r.op.padEnd(16)} ${f(r.ms).padStart(8)} ${f(r.torchMs).padStart(10)} ${f(r.ratio).padStart(13)}`);
  if (rows.peerError) console.log(`torch peer failed: ${rows.peerError}`);
}
