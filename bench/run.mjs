// The benchmark suite: every workload timed for nnlab and its peers in the same run, each side in
// its own child process (so its peak RSS is that workload's), one table, and the rows saved to
// bench/results/<date>.json. "speedup" is how many times faster nnlab is than the peer (> 1:
// nnlab faster). A missing peer (not installed), a peer that cannot run a workload and a workload
// whose nnlab side has not landed yet are reported as such, never filled in.
//   npm run bench [-- --quick] [-- --json] [-- --only ID[,ID...]] [-- --list]
// Workloads come from per-workload scripts (SOURCES below) in the result format of
// bench/harness.mjs, described in bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

import { gflopsOf, roofline as bestGemm, rooflineShare } from '../dist/bench/index.js';
import { flag, isMain, peerEnv, PYTHON, ROOT } from './harness.mjs';

/**
 * Scripts the suite runs, in table order. A script that is missing, or does not export
 * workloads() / collect() yet, shows its planned workloads as "pending".
 */
export const SOURCES = [
  {
    script: 'kernels.mjs',
    planned: [
      ['gemm-1024', 'GEMM 1024^3'],
      ['gemm-2048', 'GEMM 2048^3'],
      ['seed-conv', 'seed-CNN conv layers'],
    ],
  },
  {
    script: 'resnet.mjs',
    planned: [
      ['resnet18-train', 'ResNet18 training (32x32)'],
      ['resnet18-infer', 'ResNet18 inference (32x32)'],
    ],
  },
  {
    script: 'train.mjs',
    planned: [
      ['seed-cnn-train', 'seed-CNN training epoch'],
      ['seed-cnn-infer', 'seed-CNN inference'],
      ['mlp-train', 'MLP training epoch'],
    ],
  },
  { script: 'ensemble.mjs', planned: [['ensemble-train', '7-member ensemble training']] },
  { script: 'knn.mjs', planned: [['knn', 'exact k-NN k=3, full MNIST']] },
  { script: 'logreg.mjs', planned: [['logreg', 'logistic regression to 92.5%']] },
  {
    script: 'explain.mjs',
    planned: [
      ['gradcam-1000', 'Grad-CAM of 1,000 MNIST images'],
      ['occlusion-28', 'occlusion map 28x28, stride 1'],
    ],
  },
  {
    script: 'audio.mjs',
    planned: [
      ['logmel-1000', 'log-mel of 1,000 one-second clips'],
      ['audio-cnn-train', 'audio CNN training epoch'],
    ],
  },
  {
    script: 'seed002.mjs',
    planned: [
      ['seed002-mlp-epoch', 'mlp study epoch (784-100-10, SGD)'],
      ['seed002-autoencoder-epoch', 'autoencoder study epoch (784-128-32-2 x2, SGD)'],
    ],
  },
];

const CHILD_TIMEOUT_MS = 30 * 60 * 1000;
const log = (s) => process.stderr.write(s + '\n');

/**
 * Runs one side of a workload as a child process and returns its Result: the last JSON line of
 * its stdout (with allLines, every JSON line as `lines` too), or { error } when it failed.
 * Peers run without the OpenBLAS presets (harness.peerEnv); env adds variables.
 */
export function runChild(cmd, args, env = {}, { allLines = false } = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, env: peerEnv(env), encoding: 'utf8', maxBuffer: 64 << 20, timeout: CHILD_TIMEOUT_MS });
  const lines = (r.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'));
  let last = null,
    parsed = [];
  try {
    parsed = lines.map((l) => JSON.parse(l));
    last = parsed.at(-1) ?? null;
  } catch {
    /* reported below */
  }
  if (r.error)
    return { error: `${cmd}: ${r.error.code === 'ETIMEDOUT' ? `timed out after ${CHILD_TIMEOUT_MS / 60000} min` : r.error.message}` };
  if (last?.error || last?.pending || last?.unsupported || last?.missing) return last;
  if (r.status !== 0 || !last) {
    const why = (r.stderr || '').trim().split('\n').filter(Boolean).pop() ?? `exit code ${r.status}`;
    return { error: `${args[0]?.split('/').pop() ?? cmd}: ${why}` };
  }
  return allLines ? { ...last, lines: parsed } : last;
}

const better = (w, a, b) => (w.better === 'lower' ? a < b : a > b);

/** A peer's runs (e.g. PyTorch at 1 and 2 threads) measured, the best one kept, the others listed. */
function measurePeer(w, peer) {
  const runs = peer.runs.map((run) => ({ label: run.label, ...runChild(run.cmd, run.args, run.env) }));
  const ok = runs.filter((r) => typeof r.value === 'number' && Number.isFinite(r.value));
  if (!ok.length) {
    const r = runs.find((x) => x.missing) ?? runs.find((x) => x.unsupported) ?? runs[0];
    const why = r.missing ? { missing: r.missing } : r.unsupported ? { unsupported: r.unsupported } : { error: r.error ?? 'no value' };
    return { name: peer.name, ...why, runs: runs.length > 1 ? runs : undefined };
  }
  const best = ok.reduce((a, b) => (better(w, b.value, a.value) ? b : a));
  return {
    name: peer.name,
    ...best,
    runs: runs.length > 1 ? runs.map(({ label, value, error, peak_rss_mb }) => ({ label, value, error, peak_rss_mb })) : undefined,
  };
}

/** One workload of a workloads() script: nnlab's side, then each peer. */
function measureWorkload(script, w, quick) {
  const nnlab = runChild(process.execPath, [
    `${ROOT}bench/${script}`,
    ...(w.nnlab?.args ?? ['--workload', w.id]),
    ...(quick ? ['--quick'] : []),
  ]);
  const peers = (w.peers ?? []).map((p) => measurePeer(w, p));
  const { peers: _, nnlab: __, ...desc } = w;
  return { ...desc, nnlab, peers };
}

const pendingRow = (id, title, why) => ({ id, title, size: '', unit: '', nnlab: { pending: why }, peers: [] });

/** The source's rows: measured, or pending when its script is missing or not in the format yet. */
async function runSource(src, { quick, only }) {
  const file = `${ROOT}bench/${src.script}`;
  const wanted = (id, title) => !only || only.some((o) => id.includes(o) || title.toLowerCase().includes(o.toLowerCase()));
  const pending = (why) => src.planned.filter(([id, t]) => wanted(id, t)).map(([id, t]) => pendingRow(id, t, why));
  if (!existsSync(file)) return pending(`bench/${src.script} not present yet`);
  // Read the source before importing it: a script outside the format may run itself on import.
  const text = readFileSync(file, 'utf8');
  if (!/export\s+(async\s+)?(function|const|let)\s+(workloads|collect)\b/.test(text))
    return pending(`bench/${src.script} does not export workloads() in the suite format yet`);
  const mod = await import(new URL(`./${src.script}`, import.meta.url).href);
  if (mod.collect) {
    if (!src.planned.some(([id, t]) => wanted(id, t)) && only) return [];
    log(`${src.script} ...`);
    return (await mod.collect({ quick, runChild })).filter((r) => wanted(r.id, r.title));
  }
  const rows = [];
  for (const w of mod.workloads({ quick }).filter((x) => wanted(x.id, x.title))) {
    log(`${w.id} ...`);
    rows.push(measureWorkload(src.script, w, quick));
  }
  return rows;
}

/** GFLOP/s of a Result under its workload's FLOP count (null when the row has none): lib/bench/roofline.ts. */
export function gflops(row, r) {
  return r ? gflopsOf(row.unit, r.value, row.gflop) : null;
}

/** How many times faster nnlab is than the peer on this row (paired GEMM ratio when there is one). */
export function speedup(row, peer) {
  if (typeof row.nnlab?.value !== 'number' || typeof peer?.value !== 'number') return null;
  if (typeof peer.paired_ratio === 'number') return peer.paired_ratio;
  return row.better === 'lower' ? peer.value / row.nnlab.value : row.nnlab.value / peer.value;
}

/**
 * The derived columns: GFLOP/s, share of the run's GEMM roofline (the best GFLOP/s that the rows
 * marked roofline, GEMM 1024^3 and 2048^3, reached in this run, nnlab's or the peer's), RSS ratio
 * against each peer.
 */
export function summarize(rows) {
  const roofline = bestGemm(rows.filter((r) => r.roofline).flatMap((r) => [r.nnlab?.value, ...r.peers.map((p) => p.value)]));
  for (const row of rows) {
    row.nnlab.gflops = gflops(row, row.nnlab);
    row.nnlab.roofline_share = rooflineShare(row.nnlab.gflops, roofline);
    for (const p of row.peers) {
      p.gflops = gflops(row, p);
      p.roofline_share = rooflineShare(p.gflops, roofline);
      p.speedup = speedup(row, p);
      p.rss_ratio = row.nnlab.peak_rss_mb && p.peak_rss_mb ? row.nnlab.peak_rss_mb / p.peak_rss_mb : null;
    }
  }
  return roofline;
}

const num = (v, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');
const UNIT = { 'images/s': 'img/s', 'clips/s': 'clips/s', 'GFLOP/s': 'GFLOP/s', ms: 'ms', s: 's' };
/** Footnote number of a text (one number per distinct text). */
function markNote(notes, text) {
  if (!notes.has(text)) notes.set(text, notes.size + 1);
  return `[${notes.get(text)}]`;
}

function cell(row, r, notes) {
  if (!r) return '-';
  const mark = (text) => markNote(notes, text);
  if (r.pending) return `pending ${mark(r.pending)}`;
  if (r.unsupported) return `unsupported ${mark(r.unsupported)}`;
  if (r.missing) return `missing ${mark(r.missing)}`;
  if (r.error) return `error ${mark(r.error)}`;
  const d = r.value >= 100 ? 0 : r.value >= 10 ? 1 : 2;
  const v = `${num(r.value, d)} ${UNIT[row.unit] ?? row.unit}`;
  return r.note || r.extrapolated ? `${v}${r.extrapolated ? '~' : ''} ${mark(r.note ?? 'extrapolated')}` : v;
}

const COLS = [
  ['workload', 34, 'l'],
  ['size', 30, 'l'],
  ['nnlab', 18, 'r'],
  ['peer', 22, 'l'],
  ['peer value', 22, 'r'],
  ['speedup', 8, 'r'],
  ['GFLOP/s n|p', 13, 'r'],
  ['roofline n|p', 13, 'r'],
  ['RSS MB n|p', 12, 'r'],
  ['RSS n/p', 8, 'r'],
];
const fmtLine = (cells) =>
  cells
    .map((c, i) => {
      const [, w, a] = COLS[i];
      const s = String(c);
      return a === 'l' ? s.padEnd(w) : s.padStart(w);
    })
    .join(' ');

/** The table as text: one line per (workload, peer), notes numbered below it. */
export function formatTable(result) {
  const notes = new Map(),
    out = [fmtLine(COLS.map((c) => c[0]))];
  const pct = (v) => (v == null ? '-' : `${Math.round(100 * v)}%`);
  for (const row of result.rows) {
    const peers = row.peers.length ? row.peers : [null];
    const rowNote = row.note ? ` ${markNote(notes, row.note)}` : '';
    peers.forEach((p, i) => {
      const first = i === 0;
      const peerName = p ? `${p.name}${p.label && (p.runs || /^\d+T$/.test(p.label)) ? ` (${p.label})` : ''}` : 'no peer';
      out.push(
        fmtLine([
          first ? `${row.title}${rowNote}` : '',
          first ? row.size : '',
          first ? cell(row, row.nnlab, notes) : '',
          peerName,
          p ? cell(row, p, notes) : '-',
          p?.speedup != null ? `${num(p.speedup, 2)}x` : '-',
          `${num(row.nnlab.gflops, 1)}|${num(p?.gflops, 1)}`,
          `${pct(row.nnlab.roofline_share)}|${pct(p?.roofline_share)}`,
          `${num(row.nnlab.peak_rss_mb)}|${num(p?.peak_rss_mb)}`,
          p?.rss_ratio != null ? num(p.rss_ratio, 2) : '-',
        ]),
      );
    });
  }
  out.push(
    '',
    `roofline = the best GFLOP/s of GEMM 1024^3 / 2048^3 in this run, nnlab's or the peer's (${num(result.roofline, 1)}); speedup > 1: nnlab faster; ` +
      'n|p = nnlab|peer; ~ = extrapolated from the steps timed',
  );
  out.push(...result.context);
  if (notes.size) out.push('notes:', ...[...notes].map(([text, i]) => `  [${i}] ${text}`));
  return out.join('\n');
}

const RSS_LINE = 'console.log(JSON.stringify({ peak_rss_mb: process.resourceUsage().maxRSS / 1024 }))';
/** Peak RSS of a process that only loads each library: what every workload's RSS starts from. */
function baselineRss() {
  const nodeProbe = (what) => runChild(process.execPath, ['--input-type=module', '-e', `${what}; ${RSS_LINE}`]).peak_rss_mb ?? null;
  return {
    nnlab: nodeProbe(`await import(${JSON.stringify(`${ROOT}dist/index.js`)})`),
    tfjs: nodeProbe("await import('@tensorflow/tfjs')"),
    torch:
      runChild(PYTHON, [
        '-c',
        'import json,resource,torch,torchvision; print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))',
      ]).peak_rss_mb ?? null,
  };
}

/** Runs the sources and returns the result object (also what --json prints and the file holds). */
export async function runSuite({ quick = false, only = null } = {}) {
  const started = new Date();
  const load0 = loadavg();
  const rows = [];
  for (const src of SOURCES) rows.push(...(await runSource(src, { quick, only })));
  const roofline = summarize(rows);
  const base = baselineRss();
  const ob = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'].map((k) => `${k}=${process.env[k] ?? '(not set)'}`).join(', ');
  const load1 = loadavg();
  return {
    date: started.toISOString(),
    seconds: (Date.now() - started.getTime()) / 1000,
    quick,
    only,
    machine: {
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      memory_gib: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadavg_start: load0,
      loadavg_end: load1,
    },
    baseline_rss_mb: base,
    roofline,
    rows,
    context: [
      `${cpus()[0]?.model}, ${cpus().length} cores; load average ${load0.map((v) => v.toFixed(1)).join(' ')} at the start, ` +
        `${load1.map((v) => v.toFixed(1)).join(' ')} at the end (the machine is shared: figures taken under that load)`,
      `peers run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (this shell: ${ob}); ` +
        (quick
          ? 'PyTorch peers at their default 1 thread (--quick)'
          : 'PyTorch peers at 1 and 2 threads, and at 1 thread under OPENBLAS_CORETYPE=Haswell, the best kept (torch defaults to 1 thread here; the JSON lists every run)'),
      "each side of each workload runs in its own process; RSS = that process's peak (getrusage maxrss); " +
        `a process that only loads the library peaks at: nnlab ${num(base.nnlab)} MB, PyTorch+torchvision ${num(base.torch)} MB, TF.js ${num(base.tfjs)} MB`,
      ...(quick ? ['--quick: smaller workloads and fewer repetitions, as the size column says'] : []),
    ],
  };
}

if (isMain(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const only = flag('only') ? flag('only').split(',') : null;
  if (process.argv.includes('--list')) {
    for (const src of SOURCES) for (const [id, t] of src.planned) console.log(`${id.padEnd(18)} ${t}  (bench/${src.script})`);
    process.exit(0);
  }
  const result = await runSuite({ quick, only });
  const dir = `${ROOT}bench/results/`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}${result.date.slice(0, 19).replace(/[:T]/g, '-')}${quick ? '-quick' : ''}.json`;
  writeFileSync(file, JSON.stringify(result, null, 2));
  if (process.argv.includes('--json')) console.log(JSON.stringify(result));
  else console.log(`${formatTable(result)}\nsaved ${file} (${Math.round(result.seconds)} s)`);
}
