// The benchmark driver (bench/run.mjs): its derived columns and table on hand-built rows, how it
// reads a child's result (a missing peer included), the workload lists of the scripts, and real
// workload children in --quick mode (nnlab's seed-CNN inference, k-NN and logistic regression, the
// PyTorch MLP inference peer and the k-NN peers on a subset, a few seconds each). The full suite
// takes far too long for a test: `npm run bench` is run by hand.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// @ts-expect-error plain ESM scripts without type declarations
import * as driver from '../bench/run.mjs';
import { pythonHas, skipUnless } from './support/skips.js';
// @ts-expect-error plain ESM scripts without type declarations
import * as harness from '../bench/harness.mjs';

const ROOT = resolve('.');
type Row = Record<string, any>;

function rows(): Row[] {
  return [
    {
      id: 'gemm-1024',
      title: 'GEMM 1024^3',
      size: '1024^3',
      unit: 'GFLOP/s',
      better: 'higher',
      roofline: true,
      nnlab: { value: 40, peak_rss_mb: 60 },
      peers: [{ name: 'PyTorch torch.mm', label: '2T', value: 50, paired_ratio: 0.78, peak_rss_mb: 240 }],
    },
    {
      id: 'conv',
      title: 'a conv layer',
      size: 'batch 8',
      unit: 'ms',
      better: 'lower',
      gflop: 0.2,
      nnlab: { value: 10, peak_rss_mb: 100 },
      peers: [
        {
          name: 'PyTorch',
          value: 20,
          peak_rss_mb: 200,
          runs: [
            { label: '1T', value: 20 },
            { label: '2T', value: 25 },
          ],
          label: '1T',
        },
      ],
    },
    {
      id: 'train',
      title: 'training epoch',
      size: '60000 images',
      unit: 'images/s',
      better: 'higher',
      gflop: 0.01,
      nnlab: { value: 1000, peak_rss_mb: 400 },
      peers: [
        { name: 'TF.js cpu', value: 2, extrapolated: true, note: 'extrapolated from 1 step(s)', peak_rss_mb: 200 },
        { name: 'TF.js wasm', unsupported: "Kernel 'Conv2DBackpropFilter' not registered" },
      ],
    },
    { id: 'knn', title: 'exact k-NN', size: '', unit: '', nnlab: { pending: 'bench/knn.mjs not present yet' }, peers: [] },
    { id: 'logreg', title: 'logistic regression', size: '', unit: '', nnlab: { pending: 'bench/knn.mjs not present yet' }, peers: [] },
    {
      id: 'knn-x',
      title: 'k-NN with a missing peer',
      size: '',
      unit: 's',
      better: 'lower',
      nnlab: { value: 2, peak_rss_mb: 300 },
      peers: [
        { name: 'faiss IndexFlatL2', missing: 'faiss is not installed (No module named faiss)' },
        { name: 'sklearn', value: 8, peak_rss_mb: 400 },
      ],
    },
  ];
}

describe('bench driver', () => {
  it('derives speedup (both directions, paired GEMM ratio), GFLOP/s, roofline share and RSS ratio', () => {
    const r = rows();
    const roofline = driver.summarize(r);
    expect(roofline).toBe(50); // the best GEMM GFLOP/s of the run, nnlab's or the peer's
    expect(r[0].peers[0].speedup).toBe(0.78); // the interleaved ratio, not 40/50
    expect(r[0].nnlab.roofline_share).toBeCloseTo(0.8);
    expect(r[1].peers[0].speedup).toBeCloseTo(2); // times: peer 20 ms / nnlab 10 ms
    expect(r[1].nnlab.gflops).toBeCloseTo(20); // 0.2 GFLOP in 10 ms
    expect(r[1].nnlab.roofline_share).toBeCloseTo(0.4);
    expect(r[1].peers[0].rss_ratio).toBeCloseTo(0.5);
    expect(r[2].peers[0].speedup).toBe(500);
    expect(r[2].nnlab.gflops).toBeCloseTo(10); // 1000 images/s x 0.01 GFLOP
    expect(r[2].peers[1].speedup).toBeNull();
  });

  it('prints one line per peer and numbers each distinct note once', () => {
    const r = rows();
    const table: string = driver.formatTable({ rows: r, roofline: driver.summarize(r), context: ['ctx line'] });
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^workload\s+size\s+nnlab\s+peer/);
    expect(table).toMatch(/GEMM 1024\^3.*40\.0 GFLOP\/s.*PyTorch torch\.mm.*50\.0 GFLOP\/s\s+0\.78x/);
    expect(table).toMatch(/PyTorch \(1T\)\s+20\.0 ms\s+2\.00x/);
    expect(table).toMatch(/TF\.js cpu\s+2\.00 img\/s~ \[1\]\s+500\.00x/);
    expect(table).toMatch(/TF\.js wasm\s+unsupported \[2\]/);
    expect(table).toMatch(/exact k-NN\s+pending \[3\]/);
    expect(table).toMatch(/logistic regression\s+pending \[3\]/); // same text, same number
    expect(table).toMatch(/k-NN with a missing peer\s+2\.00 s\s+faiss IndexFlatL2\s+missing \[4\]\s+-\s/);
    expect(table).toMatch(/sklearn\s+8\.00 s\s+4\.00x/);
    expect(table).toContain('[4] faiss is not installed (No module named faiss)');
    expect(table).toContain("[2] Kernel 'Conv2DBackpropFilter' not registered");
    expect(table).toContain('ctx line');
  });

  it('reads the last JSON line of a child, and reports a failed child as an error', () => {
    const ok = driver.runChild(process.execPath, ['-e', 'console.log("banner"); console.log(JSON.stringify({ value: 3 }))']);
    expect(ok).toEqual({ value: 3 });
    const bad = driver.runChild(process.execPath, ['-e', 'console.error("it broke"); process.exit(3)']);
    expect(bad.error).toMatch(/it broke/);
    const silent = driver.runChild(process.execPath, ['-e', 'console.log("no json")']);
    expect(silent.error).toMatch(/exit code 0/);
    const missing = driver.runChild(process.execPath, ['-e', 'console.log(JSON.stringify({ missing: "not installed" }))']);
    expect(missing).toEqual({ missing: 'not installed' });
  });

  it('runs PyTorch without the OpenBLAS presets, and once more under the Haswell preset in full runs', () => {
    const saved = { ...process.env };
    try {
      process.env.OPENBLAS_CORETYPE = 'Haswell';
      process.env.OPENBLAS_L2_SIZE = '512';
      const plain = harness.peerEnv({ OMP_NUM_THREADS: '2' });
      expect(plain.OPENBLAS_CORETYPE).toBeUndefined();
      expect(plain.OPENBLAS_L2_SIZE).toBeUndefined();
      expect(plain.OMP_NUM_THREADS).toBe('2');
      expect(harness.peerEnv(harness.TORCH_HASWELL).OPENBLAS_CORETYPE).toBe('Haswell');
      // The child really sees them so.
      const seen = (env: Record<string, string>) =>
        driver.runChild(
          process.execPath,
          ['-e', 'console.log(JSON.stringify({ value: 1, coretype: process.env.OPENBLAS_CORETYPE ?? null }))'],
          env,
        ).coretype;
      expect(seen({})).toBeNull();
      expect(seen(harness.TORCH_HASWELL)).toBe('Haswell');
    } finally {
      process.env = saved;
    }
    const full = harness.torchPeer('torch_train.py', ['--model', 'mlp']);
    expect(full.runs.map((r: Row) => r.label)).toEqual(['1T', '2T', '1T Haswell']);
    expect(full.runs.map((r: Row) => r.env)).toEqual([{}, {}, { OPENBLAS_CORETYPE: 'Haswell' }]);
    expect(full.runs[2].args.slice(-2)).toEqual(['--threads', '1']);
    expect(harness.torchPeer('torch_train.py', [], { quick: true }).runs.map((r: Row) => r.label)).toEqual(['1T']);
  });

  it('every script in the suite format provides its planned workloads, in the result format, quick and full', async () => {
    for (const src of driver.SOURCES as { script: string; planned: [string, string][] }[]) {
      const mod = await import(/* @vite-ignore */ new URL(`../bench/${src.script}`, import.meta.url).href);
      if (!mod.workloads) {
        expect(mod.collect, `${src.script} exports neither workloads() nor collect()`).toBeTypeOf('function');
        continue;
      }
      for (const quick of [true, false]) {
        const ws: Row[] = mod.workloads({ quick });
        expect(
          ws.map((w) => w.id),
          src.script,
        ).toEqual(expect.arrayContaining(src.planned.map(([id]) => id)));
        for (const w of ws) {
          expect(['images/s', 'clips/s', 'ms', 's', 'GFLOP/s']).toContain(w.unit);
          expect(['higher', 'lower']).toContain(w.better);
          expect(w.title && w.size, w.id).toBeTruthy();
          for (const p of w.peers) for (const run of p.runs) expect(run.args.length, `${w.id} / ${p.name}`).toBeGreaterThan(0);
        }
      }
    }
    const knn = (await import('../bench/knn.mjs')).workloads({ quick: false })[0];
    expect(knn.peers.map((p: Row) => p.name)).toEqual(['faiss IndexFlatL2', 'sklearn KNeighbors']);
    expect(knn.size).toMatch(/60000\/10000 train\/test/);
    const logreg = (await import('../bench/logreg.mjs')).workloads({ quick: true })[0];
    expect(logreg.peers.map((p: Row) => p.name)).toEqual(['sklearn lbfgs']);
    const ens = (await import('../bench/ensemble.mjs')).workloads({ quick: true })[0];
    expect(ens.peers.map((p: Row) => p.runs.map((r: Row) => r.label))).toEqual([['1T'], ['fit']]); // --quick: PyTorch at 1 thread
  });

  it("runs nnlab's k-NN and logistic-regression children in quick mode", () => {
    const knn = driver.runChild(process.execPath, [`${ROOT}/bench/knn.mjs`, '--workload', 'knn', '--quick']);
    expect(knn.error).toBeUndefined();
    expect(knn.unit).toBe('s');
    expect(knn.value).toBeGreaterThan(0);
    expect(knn.accuracy).toBeGreaterThan(0.9); // 10k train / 1k test: 91.9% here
    expect(knn.note).toBe(`test accuracy ${(100 * knn.accuracy).toFixed(2)}%`);
    const lr = driver.runChild(process.execPath, [`${ROOT}/bench/logreg.mjs`, '--workload', 'logreg', '--quick']);
    expect(lr.error).toBeUndefined();
    expect(lr.value).toBeGreaterThan(0);
    expect(lr.accuracy).toBeGreaterThan(0.85);
    expect(lr.peak_rss_mb).toBeGreaterThan(30);
    const wrong = driver.runChild(process.execPath, [`${ROOT}/bench/knn.mjs`, '--workload', 'nope']);
    expect(wrong.error).toMatch(/no workload 'nope'/);
  });

  it("trains a subset of the ensemble's members with --seeds (several processes can share them out)", () => {
    const seq = (seeds: string) =>
      driver.runChild(process.execPath, [
        `${ROOT}/bench/ensemble.mjs`,
        '--workload',
        'ensemble-train-sequential',
        '--quick',
        '--seeds',
        seeds,
      ]);
    const one = seq('3');
    expect(one.error).toBeUndefined();
    expect(one.members).toBe(1);
    expect(one.cpu_seconds).toBeGreaterThan(0);
    expect(one.mean_train_loss).toBeLessThan(2.3); // 30 steps of Adam leave chance level (ln 10)
    expect(seq('2,9').error).toMatch(/--seeds takes members' seeds from 1,2,3,4,5,6,7/);
  });

  it('runs the faiss and scikit-learn k-NN peers on a subset, or reports them missing when they cannot be imported', (ctx) => {
    // The peer script itself needs numpy to read MNIST; only faiss and sklearn may be missing.
    skipUnless(ctx, pythonHas('numpy'), 'the k-NN peers need /usr/bin/python3 with numpy (apt-get install python3-numpy)');
    const peer = (which: string, env: Record<string, string> = {}) =>
      driver.runChild(
        '/usr/bin/python3',
        [`${ROOT}/bench/peers/knn_peers.py`, '--peer', which, '--train', '2000', '--test', '200', '--threads', '1'],
        env,
      );
    for (const which of ['faiss', 'sklearn']) {
      const r = peer(which);
      if (r.missing) {
        console.log(`bench peer ${which} not installed here: ${r.missing}`);
        expect(r.missing).toMatch(new RegExp(`${which} is not installed`));
        continue;
      }
      expect(r.error).toBeUndefined();
      expect(r.unit).toBe('s');
      expect(r.value).toBeGreaterThan(0);
      expect(r.accuracy).toBeGreaterThan(0.85);
      expect(r.peak_rss_mb).toBeGreaterThan(30);
    }
    // A module of that name that fails to import (what a machine without python3-faiss gives).
    const dir = mkdtempSync(join(tmpdir(), 'no-faiss-'));
    mkdirSync(join(dir, 'faiss'));
    writeFileSync(join(dir, 'faiss', '__init__.py'), 'raise ImportError("No module named \'faiss\'")\n');
    const r = peer('faiss', { PYTHONPATH: dir });
    expect(r.missing).toMatch(/faiss is not installed .*python3-faiss/);
    expect(r.value).toBeUndefined();
  });

  it("runs nnlab's seed-CNN inference child in quick mode and reads its value and peak RSS", () => {
    const r = driver.runChild(process.execPath, [`${ROOT}/bench/train.mjs`, '--workload', 'seed-cnn-infer', '--quick']);
    expect(r.error).toBeUndefined();
    expect(r.unit).toBe('images/s');
    expect(r.value).toBeGreaterThan(10);
    expect(r.peak_rss_mb).toBeGreaterThan(30); // at least the 10k test images as float32
  });

  it('runs the PyTorch MLP inference peer and reads its value and peak RSS', (ctx) => {
    skipUnless(ctx, pythonHas('torch'), 'the PyTorch peer needs /usr/bin/python3 with torch (apt-get install python3-torch)');
    const r = driver.runChild('/usr/bin/python3', [
      `${ROOT}/bench/peers/torch_train.py`,
      '--model',
      'mlp',
      '--only',
      'infer',
      '--threads',
      '1',
    ]);
    expect(r.error).toBeUndefined();
    expect(r.threads).toBe(1);
    expect(r.value).toBeGreaterThan(10);
    expect(r.peak_rss_mb).toBeGreaterThan(30);
  });

  it('reports nnlab ResNet18 as pending until dist/nn/resnet.js exists, and runs it once it does', () => {
    const r = driver.runChild(process.execPath, [`${ROOT}/bench/resnet.mjs`, '--workload', 'resnet18-infer', '--quick']);
    if (existsSync(`${ROOT}/dist/nn/resnet.js`)) expect(r.value).toBeGreaterThan(0);
    else expect(r.pending).toMatch(/nnlab ResNet18 not built/);
  });
});
