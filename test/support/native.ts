// Shared test utilities: the addon, seeded random data, closeness checks, and central finite
// differences for gradient checks.
import { expect } from 'vitest';

import { mulberry32 } from '../../lib/core/mulberry32.js';
import { native } from '../../lib/core/native.js';
import type { NativeTensor } from '../../lib/core/native.js';

export { native };
export type { NativeTensor };

/** A small deterministic PRNG (mulberry32) for test data, independent of the tensor RNG under test. */
export const rng: (seed: number) => () => number = mulberry32;

/** Seeded values in [lo, hi): the same data the conformance cases use. */
export { randomArray } from '../../lib/core/conformance/case.js';

export function randomInts(n: number, seed: number, hi: number): Int32Array {
  const r = rng(seed);
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(r() * hi);
  return a;
}

export const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A float32 tensor on `device` holding `data`. */
export function tensor(data: Float32Array | number[], shape: number[], device: 'cpu' | 'cuda' = 'cpu'): NativeTensor {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  return native.fromTypedArray(arr, shape, device);
}

export function randTensor(shape: number[], seed: number, device: 'cpu' | 'cuda' = 'cpu', lo = -1, hi = 1) {
  return tensor(randomArray(numel(shape), seed, lo, hi), shape, device);
}

export function values(t: NativeTensor): Float32Array {
  return native.toTypedArray(t) as Float32Array;
}

/** Asserts |a - b| <= atol + rtol * |b| elementwise, reporting the worst element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-5, label = '') {
  expect(actual.length, `${label} length`).toBe(expected.length);
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i],
      b = expected[i];
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    const err = Math.abs(a - b) - (atol + rtol * Math.abs(b));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    throw new Error(`${label} mismatch at ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * Central finite differences of a scalar function f of a Float32Array input, computed in
 * float64 around float32 perturbations: d f / d x_i ~ (f(x + h e_i) - f(x - h e_i)) / 2h.
 * `indices` limits the check to some coordinates for large inputs.
 */
export function numericGrad(f: (x: Float32Array) => number, x: Float32Array, h = 1e-2, indices?: number[]): Float64Array {
  const g = new Float64Array(x.length);
  const idx = indices ?? Array.from({ length: x.length }, (_, i) => i);
  for (const i of idx) {
    const orig = x[i];
    x[i] = orig + h;
    const fp = f(x);
    x[i] = orig - h;
    const fm = f(x);
    x[i] = orig;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** sum(y * w) for a fixed random weight w: a scalar loss whose gradient w.r.t. y is w. */
export function weightedSum(y: Float32Array, w: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * w[i];
  return s;
}

/** Checks an analytic gradient against finite differences on the given coordinates. */
export function expectGradClose(
  analytic: ArrayLike<number>,
  numeric: Float64Array,
  indices: number[],
  rtol = 2e-2,
  atol = 2e-3,
  label = '',
) {
  const a: number[] = [],
    n: number[] = [];
  for (const i of indices) {
    a.push(analytic[i]);
    n.push(numeric[i]);
  }
  expectClose(a, n, rtol, atol, label);
}

/** Picks up to k distinct coordinates of [0, n) deterministically. */
export function sampleIndices(n: number, k: number, seed: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const r = rng(seed);
  const set = new Set<number>();
  while (set.size < k) set.add(Math.floor(r() * n));
  return [...set].sort((a, b) => a - b);
}

/** Devices the op suite runs on: cpu always, cuda when this build provides it. */
/** True when device 'cuda' is the CPU simulator of the CUDA backend (the build-sim addon). */
export function simulated(): boolean {
  const s = native.cudaStatus() as { available: boolean; name?: string };
  return s.available && s.name === 'cuda (simulator)';
}

/** Why a simulator-only test file does not run here ('' when the loaded addon is the simulator build); printed by the caller. */
export function simulatorSkipReason(): string {
  if (simulated()) return '';
  const s = native.cudaStatus() as { available: boolean; name?: string; reason?: string };
  return (
    `the loaded addon is not the CUDA simulator build (cuda: ${s.available ? s.name : s.reason}); build it with ` +
    '`npx cmake-js compile --out build-sim --CDNNLAB_CUDA_SIM=ON` and run with NNLAB_ADDON=$PWD/build-sim/Release/nnlab.node ' +
    '(NNLAB_TEST_SIM=1 npx vitest run --project cuda-sim does both the selection and the addon)'
  );
}

export function testDevices(): ('cpu' | 'cuda')[] {
  return native.cudaStatus().available ? ['cpu', 'cuda'] : ['cpu'];
}
