// The shared conformance set (lib/core/conformance: the cases `nnlab selftest` runs on a user's
// GPU): every backend op on every device of this build against the CPU, exact or within its
// NMSE tolerance. In the cpu project the CPU is compared with itself (the cases must run and be
// deterministic); in the cuda-sim project device 'cuda' is the simulator.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { compareOutputs, conformanceCases, runCase, untestedOps } from '../../lib/core/conformance/index.js';
import { caseTable } from '../../lib/core/conformance/table.js';
import { testDevices } from '../support/native.js';

describe('op conformance set', () => {
  it('covers every op of the addon', () => {
    expect(untestedOps()).toEqual([]);
    expect(new Set(conformanceCases.map((c) => c.name)).size).toBe(conformanceCases.length);
  });

  it('every kernel of the manifest has an entry in the shared case table that this suite runs', () => {
    const kernels = [...readFileSync('native/ops.def', 'utf8').matchAll(/^NN_KERNEL\([^,]+, (\w+),/gm)].map((m) => m[1]);
    const run = new Set(caseTable.filter((e) => e.only !== 'kernels').map((e) => e.op));
    // Kernels whose table entries use layouts the addon does not expose (padded leading
    // dimensions, raw strides, parameter slots): the C++ kernel tests run them, and this suite
    // checks the addon functions over them by their own cases (matmul, stridedCopy, sgdStep...).
    const kernelsOnly = ['strided_copy', 'gemm', 'sgd_step', 'adam_step', 'ema_update'];
    expect(kernels.filter((k) => !run.has(k) && !kernelsOnly.includes(k))).toEqual([]);
    expect(new Set(caseTable.map((e) => `${e.op}/${e.name}`)).size).toBe(caseTable.length);
  });

  for (const device of testDevices()) {
    it(`every case agrees with the cpu on ${device}`, () => {
      const failed = conformanceCases.map((c) => runCase(c, device)).filter((r) => !r.pass);
      expect(failed.map((r) => JSON.stringify(r))).toEqual([]);
    }, 300_000);
  }

  it('the comparison catches one flipped bit (exact), an NMSE over tolerance, NaN and shape mismatches', () => {
    const ref = [Float32Array.from([1, -2, 3, 0.5])];
    const bit = [Float32Array.from(ref[0])];
    new Int32Array(bit[0].buffer)[2] ^= 1;
    expect(compareOutputs(bit, ref, 'exact').pass).toBe(false);
    expect(compareOutputs(bit, ref, 'exact').mismatches).toBe(1);
    expect(compareOutputs(bit, ref, 1e-12).pass).toBe(true); // one ulp of 3: NMSE ~1e-15
    const off = [Float32Array.from([1, -2, 3.001, 0.5])];
    const r = compareOutputs(off, ref, 1e-8);
    expect(r.nmse).toBeCloseTo(1e-6 / 14.25, 10);
    expect(r.pass).toBe(false);
    expect(compareOutputs([Float32Array.from([1, NaN, 3, 0.5])], ref, 1).pass).toBe(false);
    expect(compareOutputs([Float32Array.from([1, -2, 3])], ref, 1).pass).toBe(false);
    expect(compareOutputs([], ref, 1).pass).toBe(false);
    expect(compareOutputs(ref, ref, 'exact')).toMatchObject({ pass: true, nmse: 0, maxAbsError: 0 });
  });
});
