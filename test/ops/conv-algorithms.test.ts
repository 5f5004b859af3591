// Every CPU convolution algorithm of the native table (native/cpu/conv/conv2d.cpp), forced with
// NNLAB_CONV_ALGO, against im2col + GEMM forced the same way: two different code paths on shapes
// where the forced one applies. The switch is read once per process, so each algorithm runs in a
// child process; the run counters of `nnlab devices --json` prove the forced algorithm ran for
// every pass it implements. conv.test.ts checks the automatic choice against a float64 reference.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { native } from '../../lib/core/native.js';
import { expectClose } from '../support/native.js';

type Shape4 = [number, number, number, number];
interface Case {
  x: Shape4;
  w: Shape4;
  stride: number;
  pad: number;
  groups: number;
}
const c = (x: Shape4, w: Shape4, pad = 0, stride = 1, groups = 1): Case => ({ x, w, stride, pad, groups });

// Shapes chosen so that each algorithm applies to at least one of them, in every pass it has.
const CASES: Case[] = [
  c([8, 64, 8, 8], [64, 64, 3, 3], 1), // winograd (forward, input)
  c([33, 16, 4, 4], [17, 16, 3, 3], 1), // small maps
  c([2, 8, 12, 12], [16, 8, 3, 3], 1), // rows (forward), bww3x3 (weight)
  c([4, 2, 9, 13], [9, 2, 1, 5]), // direct weight gradient
  c([3, 5, 9, 11], [13, 5, 3, 3]), // gathered, unpadded
  c([3, 4, 9, 11], [13, 4, 3, 3]), // span (input, AVX-512): C*R*S = 36, tiles with rows of one plane
  c([3, 8, 11, 9], [14, 4, 3, 3], 1, 2, 2), // grouped, strided, padded
  c([2, 3, 16, 17], [4, 3, 1, 1]), // packed per-image products
  c([2, 3, 7, 9], [5, 3, 3, 3], 1, 2), // general
  c([10, 1, 40, 23], [6, 1, 7, 7], 0, 3), // lanes: the audio CNN's conv1, one short lane block
  c([17, 10, 19, 12], [10, 10, 5, 5], 0, 2), // lanes: the audio CNN's conv2, a full block and one image
];

const CHILD = `
const { native } = await import(process.env.NATIVE_URL);
const cases = JSON.parse(process.env.CASES);
let seed = 1;
const rand = (n) => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
const numel = (s) => s.reduce((a, b) => a * b, 1);
const out = [];
for (const k of cases) {
  const p = [k.stride, k.stride, k.pad, k.pad, 1, 1, k.groups];
  const x = native.fromTypedArray(rand(numel(k.x)), k.x, 'cpu');
  const w = native.fromTypedArray(rand(numel(k.w)), k.w, 'cpu');
  const y = native.conv2d(x, w, null, ...p);
  const dy = native.fromTypedArray(rand(numel(y.shape)), y.shape, 'cpu');
  const dx = native.conv2dBackwardInput(dy, w, k.x, ...p);
  const dw = native.conv2dBackwardWeight(x, dy, k.w, ...p);
  out.push([y, dx, dw].map((t) => Array.from(native.toTypedArray(t))));
}
console.log(JSON.stringify({ out, algorithms: native.nativeFlags().convAlgorithms }));
`;

interface ChildResult {
  out: number[][][];
  algorithms: { name: string; forward: number; backwardInput: number; backwardWeight: number }[];
}

const dir = mkdtempSync(join(tmpdir(), 'nnlab-conv-algo-'));
const script = join(dir, 'child.mjs');
writeFileSync(script, CHILD);
const nativeUrl = new URL('../../dist/core/native.js', import.meta.url).href;

function runForced(algo: string): ChildResult {
  const stdout = execFileSync(process.execPath, [script], {
    env: { ...process.env, NNLAB_CONV_ALGO: algo, NATIVE_URL: nativeUrl, CASES: JSON.stringify(CASES) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 28,
  });
  return JSON.parse(stdout) as ChildResult;
}

const names = native.nativeFlags().convAlgorithms.map((a) => a.name);
// Algorithms whose kernels exist only for AVX-512 (conv2d.cpp's table says which): on other CPUs they never apply.
const AVX512_ONLY = new Set(['lanes', 'span']);
const kernels = native.cpuIsa().kernels;

describe('conv algorithms forced with NNLAB_CONV_ALGO', () => {
  const reference = runForced('im2col');

  it('the table ends with im2col, which ran every pass of every case when forced', () => {
    expect(names.at(-1)).toBe('im2col');
    const im2col = reference.algorithms.find((a) => a.name === 'im2col')!;
    expect([im2col.forward, im2col.backwardInput, im2col.backwardWeight]).toEqual([CASES.length, CASES.length, CASES.length]);
  });

  it.each(names.filter((n) => n !== 'im2col'))('%s agrees with im2col and ran when forced', (algo) => {
    if (AVX512_ONLY.has(algo) && kernels !== 'avx512') {
      // Not a skip: the algorithm has no kernel below AVX-512, so forcing it must fall back to one that does.
      console.log(`conv algorithm ${algo}: AVX-512 only, and this CPU runs ${kernels} kernels; checking that forcing it falls back`);
      const r = runForced(algo);
      const runs = r.algorithms.find((a) => a.name === algo)!;
      expect(runs.forward + runs.backwardInput + runs.backwardWeight).toBe(0);
      r.out.forEach((outs, i) =>
        outs.forEach((v, pass) => expectClose(v, reference.out[i][pass], 1e-4, 1e-4, `${algo} fallback case ${i}`)),
      );
      return;
    }
    const r = runForced(algo);
    const runs = r.algorithms.find((a) => a.name === algo)!;
    expect(runs.forward + runs.backwardInput + runs.backwardWeight, `${algo} never ran`).toBeGreaterThan(0);
    r.out.forEach((outs, i) =>
      outs.forEach((v, pass) => expectClose(v, reference.out[i][pass], 1e-4, 1e-4, `${algo} case ${i} ${['y', 'dx', 'dw'][pass]}`)),
    );
  });

  it('an unknown name is an ArgumentError naming the known algorithms', () => {
    let message = '';
    try {
      runForced('no-such-algo');
    } catch (e) {
      message = String((e as { stderr?: string }).stderr ?? e);
    }
    expect(message).toMatch(/NNLAB_CONV_ALGO='no-such-algo' is not a convolution algorithm \(known: winograd, .*im2col\)/);
  });
});
