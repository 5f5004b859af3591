// The CUDA simulator itself (cuda/sim/) and the simulated CUDA backend against the CPU.
//
// 1. Planted bugs: cuda/sim/selftest.cpp runs small kernels through the simulator, among them a
//    shared-memory tree sum with its __syncthreads removed and a kernel that returns before a
//    barrier. The simulator must expose both (a wrong sum; a barrier error naming the thread),
//    while the correct kernels, a warp-shuffle reduction and the tiled GEMM give right answers.
//    On threads under ThreadSanitizer, two races that give right answers on fibers (blocks
//    updating one element without atomics; another warp's shared slot read after shuffles but
//    without a barrier) must be reported, and the correct kernels must be clean.
//    (Every backend kernel against the CPU backend, under TSan too: test/cuda-kernels.test.ts.)
// 2. One seed-CNN training step (forward, cross-entropy, backward, SGD with momentum and an
//    Adam step) on 'cpu' and on the simulated 'cuda' device from the same weights and batch:
//    logits, loss, gradients and updated weights must agree.
//
// Runs only when the loaded addon is the simulator build (NNLAB_ADDON=.../build-sim/...);
// otherwise it is skipped with the reason printed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { RandomGenerator, backward, ops, optim, randn, seedCnn, tensor as makeTensor, tidy } from '../../lib/index.js';
import { expectClose, native, simulatorSkipReason } from '../support/native.js';
import { skipUnless } from '../support/skips.js';

const skipReason = simulatorSkipReason();
const isSim = skipReason === '';
if (!isSim) console.log(`test/ops/cuda-sim.test.ts skipped: ${skipReason}`);

type Case = { case: string; ok: boolean; detail: string };

function buildSelftest(threads: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'nnlab-cudasim-'));
  const exe = join(dir, threads ? 'selftest-tsan' : 'selftest');
  const args = ['-std=c++17', '-O1', '-Icuda', 'cuda/sim/selftest.cpp', 'cuda/sim/sim.cpp', '-o', exe, '-pthread'];
  if (threads) args.push('-g', '-DNNLAB_SIM_THREADS', '-fsanitize=thread');
  execFileSync('g++', args, { stdio: 'pipe' });
  return exe;
}

// All cases, or only `only`; with the ThreadSanitizer reports it printed.
function runSelftest(exe: string, only?: string): { cases: Case[]; races: number } {
  const r = spawnSync(exe, only ? [only] : [], { encoding: 'utf8', env: { ...process.env, TSAN_OPTIONS: 'exitcode=0' } });
  const cases = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Case);
  return { cases, races: (r.stderr.match(/WARNING: ThreadSanitizer: data race/g) ?? []).length };
}

function byName(cases: Case[]): Map<string, Case> {
  return new Map(cases.map((c) => [c.case, c]));
}

describe.skipIf(!isSim)('CUDA simulator', () => {
  it('exposes a missing __syncthreads and an early return before a barrier (fibers)', () => {
    const c = byName(runSelftest(buildSelftest(false)).cases);
    expect(c.get('tree_sum')?.ok, c.get('tree_sum')?.detail).toBe(true);
    // The planted bug: without the barrier a thread reads its partner's slot before the partner
    // wrote it, and the sum comes out wrong.
    const planted = c.get('tree_sum_missing_barrier')!;
    expect(planted.ok, 'the simulator must not hide a missing __syncthreads').toBe(false);
    const early = c.get('early_return_before_barrier')!;
    expect(early.ok).toBe(false);
    expect(early.detail).toMatch(/returned while .* wait/);
    expect(c.get('warp_shuffle_sum')?.ok, c.get('warp_shuffle_sum')?.detail).toBe(true);
    expect(c.get('gemm_bit_identical')?.ok, c.get('gemm_bit_identical')?.detail).toBe(true);
    // Fibers run blocks one after another and threads in turn: these races give right answers
    // here, only ThreadSanitizer on threads sees them (next test).
    expect(c.get('cross_block_race')?.ok).toBe(true);
    expect(c.get('shuffle_without_barrier')?.ok).toBe(true);
  }, 120_000);

  it('with threads instead of fibers, ThreadSanitizer-built, gives the same verdicts', (ctx) => {
    // libtsan may be missing from a machine's compiler install: that is not a simulator bug.
    try {
      execFileSync('g++', ['-fsanitize=thread', '-x', 'c++', '-', '-o', join(mkdtempSync(join(tmpdir(), 'tsan-')), 'a')], {
        input: 'int main(){}',
        stdio: 'pipe',
      });
    } catch {
      return skipUnless(ctx, false, 'g++ cannot link -fsanitize=thread here (install libtsan)');
    }
    const exe = buildSelftest(true);
    const c = byName(runSelftest(exe).cases);
    expect(c.get('tree_sum')?.ok).toBe(true);
    expect(c.get('tree_sum_missing_barrier')?.ok).toBe(false);
    expect(c.get('early_return_before_barrier')?.ok).toBe(false);
    expect(c.get('gemm_bit_identical')?.ok).toBe(true);
    // Each case alone, to attribute TSan's reports: the planted races are reported, every time
    // (blocks of a launch run concurrently; a shuffle orders only its own warp), and the correct
    // kernels, atomics included, are clean.
    const racy = ['tree_sum_missing_barrier', 'cross_block_race', 'shuffle_without_barrier'];
    const clean = ['tree_sum', 'cross_block_atomic', 'warp_shuffle_sum', 'gemm_bit_identical'];
    for (const name of [...racy, ...clean]) {
      const r = runSelftest(exe, name);
      expect(r.cases.map((x) => x.case)).toEqual([name]);
      if (racy.includes(name)) expect(r.races, `${name}: TSan must report the planted race`).toBeGreaterThan(0);
      else expect(r.races, `${name}: a correct kernel must be TSan-clean`).toBe(0);
    }
  }, 240_000);

  it('backend kernels run under the same checks (a block-reduction op gives exact sums)', () => {
    // A simulator error inside a backend kernel would surface as ERR_INTERNAL naming the kernel.
    const x = native.fromTypedArray(
      Float32Array.from({ length: 1000 }, (_, i) => i % 7),
      [10, 100],
      'cuda',
    );
    const s = native.toTypedArray(native.reduce(x, 'sum', [1], false)) as Float32Array;
    for (let r = 0; r < 10; r++) {
      let ref = 0;
      for (let j = 0; j < 100; j++) ref += (r * 100 + j) % 7;
      expect(s[r]).toBe(ref);
    }
  });

  it('one seed-CNN training step agrees between cpu and the simulated cuda backend', () => {
    const models = { cpu: seedCnn(new RandomGenerator(7)), cuda: seedCnn(new RandomGenerator(7)).to('cuda') };
    const x = randn([4, 1, 28, 28], { generator: new RandomGenerator(11) });
    const y = makeTensor(Int32Array.from([3, 1, 4, 1]), [4]);
    const results: Record<
      string,
      {
        logits: Float32Array;
        loss: number;
        grads: Map<string, Float32Array>;
        sgd: Map<string, Float32Array>;
        adam: Map<string, Float32Array>;
      }
    > = {};
    for (const device of ['cpu', 'cuda'] as const) {
      const model = models[device];
      const sgd = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const adam = new optim.Adam(model.parameters(), { lr: 1e-3 });
      const r = { logits: new Float32Array(), loss: 0, grads: new Map(), sgd: new Map(), adam: new Map() } as (typeof results)['cpu'];
      tidy(() => {
        const xd = ops.to(x, device),
          yd = ops.to(y, device);
        const logits = model.forward(xd);
        r.logits = ops.to(logits, 'cpu').data() as Float32Array;
        const loss = ops.crossEntropy(logits, yd);
        r.loss = loss.item();
        backward(loss);
        for (const [name, p] of model.namedParameters()) r.grads.set(name, ops.to(p.grad!, 'cpu').data() as Float32Array);
        sgd.step();
        for (const [name, p] of model.namedParameters()) r.sgd.set(name, ops.to(p, 'cpu').data() as Float32Array);
        adam.step();
        for (const [name, p] of model.namedParameters()) r.adam.set(name, ops.to(p, 'cpu').data() as Float32Array);
      });
      sgd.dispose();
      adam.dispose();
      results[device] = r;
    }
    const cpu = results.cpu,
      gpu = results.cuda;
    const rel = (a: Float32Array, e: Float32Array, label: string) => {
      const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expectClose(a, e, 1e-4, 1e-4 * scale, label);
    };
    rel(gpu.logits, cpu.logits, 'logits');
    expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-5 * Math.max(1, cpu.loss));
    for (const [name, g] of cpu.grads) rel(gpu.grads.get(name)!, g, `grad ${name}`);
    for (const [name, p] of cpu.sgd) rel(gpu.sgd.get(name)!, p, `sgd ${name}`);
    // Adam's step lr * m/(sqrt(v) + eps) has slope ~lr/eps in g where |g| is near eps: there,
    // gradients equal to float rounding (summed in a different order, as on any GPU) give
    // visibly different steps. Those elements are held to the step bound instead.
    for (const [name, p] of cpu.adam) {
      const g = cpu.grads.get(name)!,
        got = gpu.adam.get(name)!,
        before = cpu.sgd.get(name)!;
      const a: number[] = [],
        e: number[] = [];
      for (let i = 0; i < p.length; i++) {
        if (Math.abs(g[i]) > 1e-5) {
          a.push(got[i]);
          e.push(p[i]);
        } else {
          expect(Math.abs(got[i] - before[i]), `adam ${name}[${i}] step`).toBeLessThanOrEqual(1.01e-3 * 1.5);
        }
      }
      rel(Float32Array.from(a), Float32Array.from(e), `adam ${name}`);
    }
    models.cpu.dispose();
    models.cuda.dispose();
  }, 300_000);
});
