// How many members go in one stacked pass, measured on the host at first use and cached. A
// stacked pass is one grouped op per layer instead of M: fewer calls and wider work, but its
// activations are M times larger, and on a CPU with small caches they fall out of cache (issue
// 30: on a 2-core EPYC a 7-member stack of seed CNNs was slower than 7 separate runs). Which
// side wins depends on the cache sizes, the thread count and the model, so it is measured: a
// forward and backward pass of each candidate, interleaved over rounds (the machine may be
// shared; the best of each candidate's rounds is kept), on a batch of the real training data.
// The score is the process's CPU time (all threads), not wall time: on a host shared with other
// jobs wall time mostly measures when the scheduler let us run (on the 2-core hosts here, under a
// load of 8, wall times of one candidate varied by 40% and ranked candidates at random, while CPU
// times ranked them the same way run after run). On an idle host the two rank alike, since the
// pool's threads spin rather than sleep between ops.
// The measurement changes nothing: it runs in evaluation mode (no batch-norm statistics, no
// dropout draws) and puts the parameters' gradients back as they were.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, cpus } from 'node:os';
import { dirname, join } from 'node:path';

import { backward } from '../core/autograd/engine.js';
import { deviceReport } from '../core/device.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';
import type { TensorDataset } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import { memberRowLosses } from './objective.js';
import { StackedModel } from './stack.js';

/** Stack sizes worth trying for M members: each gives a different split into stacks (7: 1, 2, 3, 4, 7). */
export function stackCandidates(M: number): number[] {
  const seen = new Set<number>(),
    out: number[] = [];
  for (let s = 1; s <= M; s++) {
    const stacks = Math.ceil(M / s);
    // The smallest size that gives this many stacks; larger ones only unbalance them.
    const even = Math.ceil(M / stacks);
    if (!seen.has(even)) {
      seen.add(even);
      out.push(even);
    }
  }
  return out.sort((a, b) => a - b);
}

/** The file the measured choices are kept in: $NNLAB_CACHE_DIR/ensemble-stack.json, else ~/.cache/nnlab/. */
export function stackCacheFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.NNLAB_CACHE_DIR ? join(env.NNLAB_CACHE_DIR, 'ensemble-stack.json') : join(homedir(), '.cache', 'nnlab', 'ensemble-stack.json');
}

/**
 * What the choice depends on: host, threads, SIMD kernels and native switches (NNLAB_* flags pick
 * other convolution kernels), members, batch, input and every parameter's shape.
 */
export function stackCacheKey(members: readonly Module[], inputShape: readonly number[], batchSize: number, device: string): string {
  const shapes = members[0]
    .parameters()
    .map((p) => p.shape.join('x'))
    .join(',');
  const r = deviceReport();
  const flags = createHash('sha256').update(JSON.stringify(r.native.flags)).digest('hex').slice(0, 8);
  const host = `${cpus()[0]?.model ?? 'unknown'}/${cpus().length}cpu/${r.cpu.threads}thr/${r.cpu.isa.kernels}/flags-${flags}/${device}`;
  return `${host}|${STACKED_OPS}|M${members.length}|B${batchSize}|in${inputShape.join('x')}|${members[0].constructor.name}(${shapes})`;
}

/**
 * Which implementation of the stacked ops a cached choice was measured with: changed when a
 * change to them or to the measurement may move which stack size wins (2: stacked conv+pool as one
 * op with the input gradient, whose backward keeps blocks of images in cache; 3: no candidate is
 * dropped on its cold first round), so that hosts measure again.
 */
const STACKED_OPS = 'stacked-ops-3';

type CacheFile = Record<string, { stackSize: number; msPerMember: Record<string, number> }>;

function readCache(file: string): CacheFile {
  if (!existsSync(file)) return {};
  try {
    const c = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return c && typeof c === 'object' && !Array.isArray(c) ? (c as CacheFile) : {};
  } catch {
    // A damaged cache is measured again and rewritten, never an error: it holds only timings.
    return {};
  }
}

function writeCache(file: string, c: CacheFile): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(c, null, 1) + '\n');
    renameSync(tmp, file);
  } catch {
    // A read-only home still trains: the choice is then measured again next time.
  }
}

/** CPU milliseconds of the whole process (every thread) so far. */
function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** CPU milliseconds of one forward + backward of `stack` on x (no state changes: gradients are put back). */
function timePass(stack: StackedModel, x: Tensor, y: Tensor): number {
  const params = stack.parameters();
  const saved = params.map((p) => p.grad);
  for (const p of params) p.grad = null;
  const t0 = cpuMs();
  tidy(() => {
    const out = stack.forward(x);
    backward(ops.sum(memberRowLosses(out, y, stack.size)));
    // Reading one value waits for the work (a device backend may run asynchronously).
    ops.sum(out).data();
  });
  const ms = cpuMs() - t0;
  params.forEach((p, i) => {
    p.grad?.dispose();
    p.grad = saved[i];
  });
  return ms;
}

/** Measures every candidate stack size on `train`'s first batch; returns the fastest and its CPU ms per member and step. */
export function measureStackSize(
  members: readonly Module[],
  train: TensorDataset,
  batchSize: number,
  rounds = 3,
): { stackSize: number; msPerMember: Record<string, number> } {
  const M = members.length;
  const rows = Math.min(batchSize, train.x.shape[0]);
  const cands = stackCandidates(M);
  const best = new Map<number, number>(cands.map((s) => [s, Infinity]));
  // Evaluation mode: the pass draws no dropout masks and moves no running statistics.
  const modes = members.flatMap((m) => m.namedModules().map(([, c]) => [c, c.training] as const));
  members.forEach((m) => m.eval());
  try {
    for (let r = 0; r < rounds; r++) {
      // From the third round on, candidates far behind the best are not timed again (first use pays
      // for the measurement). Not earlier: a large stack's first round faults in activations many
      // times larger than one member's, so its cold time says little about its warm one.
      const lead = Math.min(...best.values());
      for (const s of cands) {
        if (r > 1 && best.get(s)! > 1.5 * lead) continue;
        let ms = 0;
        for (let first = 0; first < M; first += s) {
          const stack = new StackedModel(members.slice(first, first + s));
          const S = stack.size;
          ms += tidy(() => {
            const xb = ops.slice(train.x, 0, 0, rows);
            const x = stack.replicate(xb);
            const y0 = ops.slice(train.y, 0, 0, rows);
            const yi = y0.dtype === 'int32' ? y0 : ops.cast(y0, 'int32');
            const y = ops.reshape(ops.expand(ops.reshape(yi, [rows, 1]), [rows, S]), [rows * S]);
            return timePass(stack, x, y);
          });
        }
        // The first round warms caches and allocators; it still counts when it is the best.
        best.set(s, Math.min(best.get(s)!, ms / M));
      }
    }
  } finally {
    for (const [c, t] of modes) c.training = t;
  }
  let stackSize = M;
  for (const s of cands) if (best.get(s)! < best.get(stackSize)!) stackSize = s;
  const msPerMember = Object.fromEntries(cands.map((s) => [String(s), Math.round(best.get(s)! * 1000) / 1000]));
  return { stackSize, msPerMember };
}

/**
 * The stack size for these members on this host: from the cache when it was measured before,
 * else measured now (measureStackSize) and cached. `log` hears about a fresh measurement.
 */
export function pickStackSize(members: readonly Module[], train: TensorDataset, batchSize: number, log?: (line: string) => void): number {
  if (members.length === 1) return 1;
  const file = stackCacheFile();
  const key = stackCacheKey(members, train.x.shape.slice(1), batchSize, train.x.device);
  const cached = readCache(file)[key];
  if (cached && Number.isInteger(cached.stackSize) && cached.stackSize >= 1 && cached.stackSize <= members.length) return cached.stackSize;
  const m = measureStackSize(members, train, batchSize);
  // Re-read before writing: another process may have added its own entries meanwhile.
  writeCache(file, { ...readCache(file), [key]: m });
  log?.(
    `stack size ${m.stackSize} measured for ${members.length} members (CPU ms per member and step: ${Object.entries(m.msPerMember)
      .map(([s, ms]) => `${s}: ${ms}`)
      .join(', ')}; cached in ${file})`,
  );
  return m.stackSize;
}
