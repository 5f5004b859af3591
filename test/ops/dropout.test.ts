import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError } from '../../lib/core/errors.js';
import { expectClose, grad, native, randomArray, tensor, testDevices, values } from '../support/op-test.js';

describe.each(testDevices())('dropout on %s', (device) => {
  const n = 100003; // not a multiple of 4: the last Philox block is partly used
  const x = randomArray(n, 1, 0.5, 2);
  const xt = () => tensor(x, [n], device);

  it('same seed and offset give the same mask; other seeds or offsets differ', () => {
    const [y1, m1] = native.dropout(xt(), 0.3, 42, 7);
    const [y2, m2] = native.dropout(xt(), 0.3, 42, 7);
    expect(m1.dtype).toBe('uint8');
    expect(Buffer.from(native.toTypedArray(m1).buffer).equals(Buffer.from(native.toTypedArray(m2).buffer))).toBe(true);
    expect(Buffer.from(values(y1).buffer).equals(Buffer.from(values(y2).buffer))).toBe(true);
    const [, m3] = native.dropout(xt(), 0.3, 43, 7);
    const [, m4] = native.dropout(xt(), 0.3, 42, 8);
    expect(Buffer.from(native.toTypedArray(m3).buffer).equals(Buffer.from(native.toTypedArray(m1).buffer))).toBe(false);
    expect(Buffer.from(native.toTypedArray(m4).buffer).equals(Buffer.from(native.toTypedArray(m1).buffer))).toBe(false);
    // seeds beyond 2^53 pass as BigInt
    const [, mb] = native.dropout(xt(), 0.3, 2n ** 63n + 5n, 0n);
    expect(mb.numel).toBe(n);
  });

  it('uses the rand("uniform") stream: kept where uniform >= p', () => {
    const u = values(native.rand('uniform', [n], 9, 3, 0, 1, device));
    const m = native.toTypedArray(native.dropout(xt(), 0.25, 9, 3)[1]);
    for (let i = 0; i < n; i++) if (m[i] !== +(u[i] >= 0.25)) throw new Error(`mask ${i}: ${m[i]} vs uniform ${u[i]}`);
  });

  for (const p of [0.1, 0.5, 0.9]) {
    it(`keeps about 1 - p of the elements and scales them by 1/(1-p) (p = ${p})`, () => {
      const [y, mask] = native.dropout(xt(), p, 123, 0);
      const m = native.toTypedArray(mask),
        yv = values(y);
      let kept = 0;
      const expected = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        kept += m[i];
        expected[i] = m[i] ? x[i] / (1 - p) : 0;
      }
      expect(Math.abs(kept / n - (1 - p))).toBeLessThan(0.01);
      expectClose(yv, expected, 1e-6, 0);
    });
  }

  it('p = 0 copies x exactly', () => {
    const [y, m] = native.dropout(xt(), 0, 5, 0);
    expect(Buffer.from(values(y).buffer).equals(Buffer.from(x.buffer))).toBe(true);
    expect(native.toTypedArray(m).every((v) => v === 1)).toBe(true);
  });

  it('dropoutBackward matches finite differences for a fixed mask', () => {
    const shape = [3, 5];
    const a = randomArray(15, 3),
      w = randomArray(15, 4);
    const f = (v: Float32Array) => grad.weightedSum(values(native.dropout(tensor(v, shape, device), 0.4, 77, 2)[0]), w);
    const [, mask] = native.dropout(tensor(a, shape, device), 0.4, 77, 2);
    const dx = native.dropoutBackward(tensor(w, shape, device), mask, 0.4);
    const idx = Array.from({ length: 15 }, (_, i) => i);
    grad.expectClose(values(dx), grad.numeric(f, a, 1e-2), idx, 1e-3, 1e-4);
  });

  it('handles zero-size tensors', () => {
    const [y, m] = native.dropout(native.full([0, 3], 0, 'float32', device), 0.5, 1, 0);
    expect(y.shape).toEqual([0, 3]);
    expect(m.shape).toEqual([0, 3]);
  });

  it('typed errors for bad input', () => {
    const t = tensor([1, 2, 3], [3], device);
    for (const p of [1, -0.1, NaN, 2]) expect(() => native.dropout(t, p, 1, 0)).toThrow(ArgumentError);
    expect(() => native.dropout(t, 1, 1, 0)).toThrow(/must be in \[0, 1\), got 1/);
    expect(() => native.dropout(t, 0.5, -1, 0)).toThrow(ArgumentError);
    expect(() => native.dropout(t, 0.5, 1.5, 0)).toThrow(ArgumentError);
    const [, m] = native.dropout(t, 0.5, 1, 0);
    expect(() => native.dropoutBackward(t, t, 0.5)).toThrow(DTypeError);
    expect(() => native.dropoutBackward(tensor([1, 2], [2], device), m, 0.5)).toThrow(ShapeError);
    expect(() => native.dropoutBackward(t, m, 1)).toThrow(ArgumentError);
  });
});
