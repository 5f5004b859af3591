// Adapter that brings the kernel benchmarks into the suite's result format without changing them
// (bench/gemm.mjs, bench/conv.mjs, bench/peers/torch_gemm.py and torch_conv.py belong to the
// kernel work):
// - GEMM: gemm.mjs times nnlab's matmul and torch.mm interleaved round by round in one run; the
//   suite runs it with the torch peer at 1 and at 2 threads (OMP_NUM_THREADS) and, in full runs,
//   once more at 1 thread under OPENBLAS_CORETYPE=Haswell, and keeps the faster peer per shape
//   with the ratio of that run. Peak RSS comes from separate probe
//   processes that run one shape only (nnlab and torch each).
// - seed-CNN conv layers: conv.mjs (nnlab side alone, in one process for all its ops) against
//   torch_conv.py at 1 and 2 threads, the better kept per op.
// This module exports collect() (finished rows) instead of workloads(): see bench/README.md.
import { createRequire } from 'node:module';

import { emit, flag, isMain, PYTHON, ROOT, TORCH_HASWELL, torchThreads } from './harness.mjs';

const node = process.execPath;
const self = `${ROOT}bench/kernels.mjs`;

/** python3 -c program: runs a script as __main__ with argv, then prints its peak RSS as a JSON line. */
const PY_RSS =
  'import json,resource,runpy,sys; sys.argv=sys.argv[1:]; runpy.run_path(sys.argv[0], run_name="__main__"); ' +
  'print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))';
/** python3 -c program: one torch.mm shape through torch_gemm.time_mm, with peak RSS. */
const PY_GEMM_PROBE =
  'import json,resource,sys; sys.path.insert(0, sys.argv[1]); import torch_gemm; ' +
  'r = torch_gemm.time_mm(*(int(v) for v in sys.argv[2].split(",")), 3); ' +
  'print(json.dumps({**r, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))';

const GEMM_IDS = { '1024^3': 'gemm-1024', '2048^3': 'gemm-2048' };

async function collectGemm({ quick, runChild }) {
  const gemmRun = (label, t, haswell) => ({
    label,
    r: runChild(node, [self, '--gemm', ...(quick ? ['--quick'] : []), ...(haswell ? ['--peer-haswell'] : [])], {
      OMP_NUM_THREADS: String(t),
    }),
  });
  // The peer both ways: presets unset at each thread count, and (full runs) the machine's Haswell preset at 1 thread.
  const runs = [...torchThreads(quick).map((t) => gemmRun(`${t}T`, t, false)), ...(quick ? [] : [gemmRun('1T Haswell', 1, true)])];
  const ok = runs.filter((x) => x.r.rows);
  if (!ok.length) return [{ id: 'gemm', title: 'GEMM', size: '', unit: 'GFLOP/s', better: 'higher', nnlab: runs[0].r, peers: [] }];
  const rows = [];
  for (const [i, shape] of ok[0].r.rows.entries()) {
    const per = ok.map(({ label, r }) => ({ label, row: r.rows[i] }));
    const best = per.reduce((a, b) => (b.row.torchGflops > a.row.torchGflops ? b : a));
    const id = GEMM_IDS[shape.shape] ?? `gemm-${shape.m}x${shape.n}x${shape.k}`;
    const probe = Object.values(GEMM_IDS).includes(id); // the square sizes: probed for RSS, and the roofline
    const mnk = `${shape.m},${shape.n},${shape.k}`;
    const nnRss = probe ? runChild(node, [self, '--gemm-rss', mnk]).peak_rss_mb : null;
    const peerRss = probe ? runChild(PYTHON, ['-c', PY_GEMM_PROBE, `${ROOT}bench/peers`, mnk]).peak_rss_mb : null;
    rows.push({
      id,
      title: `GEMM ${shape.shape}`,
      size: `${shape.m}x${shape.n}x${shape.k} float32`,
      unit: 'GFLOP/s',
      better: 'higher',
      gflop: null,
      roofline: probe,
      nnlab: { value: best.row.nnlabGflops, unit: 'GFLOP/s', threads: ok[0].r.threads, peak_rss_mb: nnRss },
      peers: [
        {
          name: 'PyTorch torch.mm',
          label: best.label,
          value: best.row.torchGflops,
          unit: 'GFLOP/s',
          peak_rss_mb: peerRss,
          paired_ratio: best.row.ratio,
          blas: ok[0].r.peer?.blas,
          runs: per.map(({ label, row }) => ({ label, value: row.torchGflops, nnlab: row.nnlabGflops, paired_ratio: row.ratio })),
        },
      ],
      note: probe
        ? 'timed interleaved with torch.mm (bench/gemm.mjs); RSS from single-shape probe processes'
        : 'timed interleaved with torch.mm (bench/gemm.mjs); RSS not probed',
    });
  }
  return rows;
}

async function collectConv({ quick, runChild }) {
  const q = quick ? ['--quick'] : [];
  const ours = runChild(node, [self, '--conv', ...q]);
  const peer = torchThreads(quick).map((t) => {
    const r = runChild(PYTHON, ['-c', PY_RSS, `${ROOT}bench/peers/torch_conv.py`, '--threads', String(t), ...q], {}, { allLines: true });
    return { t, r };
  });
  if (!ours.rows)
    return [{ id: 'seed-conv', title: 'seed-CNN conv layers', size: 'batch 128', unit: 'ms', better: 'lower', nnlab: ours, peers: [] }];
  const L = { conv1: [1, 32, 26], conv2: [32, 64, 11] }; // C, K, output side: 3x3 kernels at batch 128
  return ours.rows.map((row) => {
    const [c, k, o] = L[row.layer];
    const fwd = (2 * 128 * c * k * 9 * o * o) / 1e9;
    const runs = peer.map(({ t, r }) => {
      const line = (r.lines ?? []).find((x) => x.layer === row.layer && x.op === row.op);
      return line
        ? { label: `${t}T`, value: line.ms, unit: 'ms', peak_rss_mb: r.peak_rss_mb }
        : { label: `${t}T`, error: r.error ?? 'no row' };
    });
    const okRuns = runs.filter((x) => x.value != null);
    const best = okRuns.length ? okRuns.reduce((a, b) => (b.value < a.value ? b : a)) : null;
    return {
      id: `seed-${row.layer}-${row.op}`,
      title: `seed-CNN ${row.layer} ${row.op}`,
      size: `batch 128, ${c}x${o + 2}x${o + 2} in`,
      unit: 'ms',
      better: 'lower',
      gflop: fwd,
      nnlab: { value: row.ms, unit: 'ms', threads: ours.threads, peak_rss_mb: ours.peak_rss_mb },
      peers: [best ? { name: 'PyTorch', ...best, runs } : { name: 'PyTorch', error: runs[0]?.error, runs }],
      note: "bench/conv.mjs and torch_conv.py each time all seed-CNN conv ops in one process: RSS is that process's",
    };
  });
}

/** Finished rows for the driver (GEMM, then the seed CNN's conv layers). */
export async function collect(opts) {
  return [...(await collectGemm(opts)), ...(await collectConv(opts))];
}

// Child modes, run by collect() above.
if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  if (process.argv.includes('--gemm')) {
    const peerExtra = process.argv.includes('--peer-haswell') ? TORCH_HASWELL : {};
    const r = await (await import('./gemm.mjs')).run({ quick, peerExtra });
    emit({ rows: r.rows, threads: r.threads, peer: r.peer });
  } else if (process.argv.includes('--conv')) {
    const rows = (await import('./conv.mjs')).run({ quick, torch: false });
    const native = createRequire(import.meta.url)('node-gyp-build')(ROOT);
    emit({ rows, threads: native.numThreads() });
  } else if (flag('gemm-rss')) {
    const [m, n, k] = flag('gemm-rss').split(',').map(Number);
    const native = createRequire(import.meta.url)('node-gyp-build')(ROOT);
    const a = native.rand('uniform', [m, k], 1, 0, -1, 1, 'cpu'),
      b = native.rand('uniform', [k, n], 2, 0, -1, 1, 'cpu');
    for (let i = 0; i < 3; i++) native.matmul(a, b).dispose();
    emit({ unit: 'GFLOP/s' });
  } else {
    console.error('kernels.mjs is driven by bench/run.mjs (node bench/run.mjs --only gemm|conv)');
    process.exit(2);
  }
}
