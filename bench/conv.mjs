// conv2d benchmark against PyTorch (CPU, same thread count) run as a peer process
// (bench/peers/torch_conv.py) on the layers of bench/conv_layers.mjs: forward, backward-input
// (when the layer's input needs a gradient) and backward-weight of
//   seed (default): the seed CNN's conv1 and conv2 at batch 128
//   resnet18:       every distinct conv of resnet18 on 32x32 images at batch 512
// Usage: node bench/conv.mjs [--quick] [--threads T] [--no-torch] [--set seed|resnet18|all] [--only NAME]
// Timings are medians; the machine is shared, so repeat runs before trusting a ratio.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import nodeGypBuild from 'node-gyp-build';

import { layers } from './conv_layers.mjs';

const root = new URL('..', import.meta.url).pathname;
const native = nodeGypBuild(root);

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

function torchPeer(quick, threads, list) {
  const env = { ...process.env };
  // The peer runs with its own BLAS defaults, not a core type or cache size forced on it.
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const args = [`${root}bench/peers/torch_conv.py`, '--threads', String(threads)];
  if (quick) args.push('--quick');
  args.push('--layers', JSON.stringify(list));
  const r = spawnSync('/usr/bin/python3', args, { env, encoding: 'utf8' });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'failed').trim().split('\n').pop() };
  const out = new Map();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const o = JSON.parse(line);
    out.set(`${o.layer} ${o.op}`, o.ms);
  }
  return { out };
}

// Repetitions so that a layer takes about the same wall time whatever its size.
const repsFor = (L, quick) => {
  const flops = 2 * L.x[0] * L.w[0] * L.w[1] * L.w[2] * L.w[3] * (L.x[2] / L.stride) * (L.x[3] / L.stride);
  return Math.max(quick ? 3 : 7, Math.min(quick ? 5 : 25, Math.round(20e9 / flops)));
};

export function run({ quick = false, threads, torch = true, set = 'seed', only } = {}) {
  if (threads) native.setNumThreads(threads);
  const nt = native.numThreads();
  const rows = [];
  const list = layers(set).filter((L) => !only || L.layer === only);
  const rand = (shape, seed) => native.reshape(native.rand('normal', [shape.reduce((a, b) => a * b)], seed, 0, 0, 1, 'cpu'), shape);
  for (const L of list) {
    const P = [L.stride, L.stride, L.pad, L.pad, 1, 1, 1];
    const reps = repsFor(L, quick);
    const x = rand(L.x, 1),
      w = rand(L.w, 2),
      b = L.bias ? rand([L.w[0]], 3) : null;
    const y = native.conv2d(x, w, b, ...P);
    const dy = rand(y.shape, 4);
    const ops = [['forward', () => native.conv2d(x, w, b, ...P).dispose()]];
    if (L.needInputGrad) ops.push(['backward-input', () => native.conv2dBackwardInput(dy, w, L.x, ...P).dispose()]);
    ops.push(['backward-weight', () => native.conv2dBackwardWeight(x, dy, L.w, ...P).dispose()]);
    for (const [op, fn] of ops) rows.push({ layer: L.layer, batch: L.x[0], op, ms: medianMs(fn, reps) });
    for (const t of [x, w, b, y, dy]) t?.dispose();
  }
  if (torch) {
    const peer = torchPeer(quick, nt, list);
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
  const opt = (name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
  const rows = run({
    quick: args.includes('--quick'),
    threads: ti >= 0 ? Number(args[ti + 1]) : undefined,
    torch: !args.includes('--no-torch'),
    set: opt('--set') ?? 'seed',
    only: opt('--only'),
  });
  console.log(`conv2d, ${native.numThreads()} threads (torch peer: same thread count; OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset)`);
  console.log('layer      batch op               nnlab ms   torch ms   nnlab/torch');
  const f = (v, d = 2) => (v == null ? '-' : v.toFixed(d));
  for (const r of rows)
    console.log(
      `${r.layer.padEnd(10)} ${String(r.batch).padStart(5)} ${r.op.padEnd(16)} ${f(r.ms).padStart(8)} ${f(r.torchMs).padStart(10)} ${f(r.ratio).padStart(13)}`,
    );
  if (rows.peerError) console.log(`torch peer failed: ${rows.peerError}`);
}
