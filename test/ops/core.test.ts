import { describe, expect, it } from 'vitest';

import { DisposedError, ShapeError, ArgumentError, DTypeError, IndexOutOfRangeError, DeviceError } from '../../lib/core/errors.js';
import { expectClose, native, randomArray, tensor, testDevices, values } from '../support/native.js';

describe.each(testDevices())('core on %s', (device) => {
  it('round-trips typed arrays of every dtype', () => {
    const f = randomArray(24, 1);
    expect(Array.from(native.toTypedArray(native.fromTypedArray(f, [2, 3, 4], device)))).toEqual(Array.from(f));
    const i = Int32Array.from([1, -2, 3, 2147483647]);
    const ti = native.fromTypedArray(i, [4], device);
    expect(ti.dtype).toBe('int32');
    expect(Array.from(native.toTypedArray(ti))).toEqual(Array.from(i));
    const u = Uint8Array.from([0, 255, 7]);
    expect(Array.from(native.toTypedArray(native.fromTypedArray(u, [3], device)))).toEqual([0, 255, 7]);
  });

  it('casts uint8 images to float32 with a scale', () => {
    const u = native.fromTypedArray(Uint8Array.from([0, 51, 255]), [3], device);
    expectClose(values(native.cast(u, 'float32', 1 / 255)), [0, 0.2, 1], 1e-6, 1e-7);
  });

  it('fills uint8 tensors larger than the 1 MiB host block', () => {
    const n = (3 << 20) + 5;
    const t = native.full([n], 7, 'uint8', device);
    const v = native.toTypedArray(t) as Uint8Array;
    expect(v.length).toBe(n);
    expect(v.every((b) => b === 7)).toBe(true);
  });

  it('maps bytes through a 256-value table, refusing other dtypes and table sizes', () => {
    const table = Float32Array.from({ length: 256 }, (_, v) => Math.fround(v * 0.37 - 20));
    const bytes = Uint8Array.from({ length: 3 * 301 }, (_, i) => (i * 97 + 13) % 256);
    const y = native.byteTable(native.fromTypedArray(bytes, [3, 301], device), native.fromTypedArray(table, [256], device));
    expect(y.shape).toEqual([3, 301]);
    expect(Array.from(values(y))).toEqual(Array.from(bytes, (b) => table[b]));
    const u = native.fromTypedArray(bytes, [bytes.length], device);
    expect(() => native.byteTable(u, native.fromTypedArray(table.subarray(0, 255), [255], device))).toThrow(ShapeError);
    expect(() => native.byteTable(native.cast(u, 'float32'), native.fromTypedArray(table, [256], device))).toThrow(DTypeError);
    expect(
      native.byteTable(native.fromTypedArray(new Uint8Array(0), [0, 4], device), native.fromTypedArray(table, [256], device)).shape,
    ).toEqual([0, 4]);
  });

  it('strided copy transposes, slices and writes into a destination', () => {
    const x = tensor([0, 1, 2, 3, 4, 5], [2, 3], device);
    expect(Array.from(values(native.stridedCopy(x, [3, 2], [1, 3], 0)))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from(values(native.stridedCopy(x, [2, 2], [3, 1], 1)))).toEqual([1, 2, 4, 5]);
    const dst = native.full([2, 4], -1, 'float32', device);
    native.stridedCopy(x, [2, 3], [3, 1], 0, dst, [4, 1], 1);
    expect(Array.from(values(dst))).toEqual([-1, 0, 1, 2, -1, 3, 4, 5]);
    expect(() => native.stridedCopy(x, [3, 3], [3, 1], 0)).toThrow(IndexOutOfRangeError);
  });

  it('reshape shares storage and checks the element count', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3], device);
    const y = native.reshape(x, [3, 2]);
    expect(y.sharesStorageWith(x)).toBe(true);
    expect(() => native.reshape(x, [4, 2])).toThrow(ShapeError);
    expect(() => native.reshape(x, [4, 2])).toThrow(/\[2, 3\].*\[4, 2\]/);
  });

  it('Philox fills are reproducible and shaped like their distributions', () => {
    const a = values(native.rand('normal', [100000], 42, 0, 0, 1, device));
    const b = values(native.rand('normal', [100000], 42, 0, 0, 1, device));
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const c = values(native.rand('normal', [100000], 43, 0, 0, 1, device));
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
    let mean = 0,
      sq = 0;
    for (const v of a) {
      mean += v;
      sq += v * v;
    }
    mean /= a.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(sq / a.length - 1)).toBeLessThan(0.02);
    const u = values(native.rand('uniform', [100000], 7, 3, 2, 5, device));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(5);
    const bern = values(native.rand('bernoulli', [100000], 7, 0, 0.3, undefined, device));
    expect(Math.abs(bern.reduce((s, v) => s + v, 0) / 1e5 - 0.3)).toBeLessThan(0.01);
    // An offset continues the stream: elements 8.. of a fill equal a fill started 2 blocks later.
    const whole = values(native.rand('uniform', [16], 9, 0, 0, 1, device));
    const tail = values(native.rand('uniform', [8], 9, 2, 0, 1, device));
    expect(Array.from(whole.slice(8))).toEqual(Array.from(tail));
  });

  it('permutations are permutations and depend only on the seed', () => {
    const p = Array.from(native.toTypedArray(native.randPermutation(1000, 5, 0, device)));
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(native.toTypedArray(native.randPermutation(1000, 5, 0, device)))).toEqual(p);
  });

  it('typed errors for bad input', () => {
    const x = tensor([1, 2, 3], [3], device);
    x.dispose();
    expect(() => native.toTypedArray(x)).toThrow(DisposedError);
    expect(() => native.fromTypedArray(new Float32Array(5), [2, 3], device)).toThrow(ShapeError);
    expect(() => native.fromTypedArray(new Float32Array(5), [2, 3], device)).toThrow(/\[2, 3\] needs 6 elements but the array has 5/);
    expect(() => native.full([2, -1], 0, 'float32', device)).toThrow(ArgumentError);
    expect(() => native.full([2], 0, 'float64' as never, device)).toThrow(DTypeError);
    expect(() => native.full([2], 0, 'float32', 'tpu' as never)).toThrow(DeviceError);
    expect(() => native.reshape({} as never, [1])).toThrow(ArgumentError);
    const err = (() => {
      try {
        native.reshape({} as never, [1]);
      } catch (e) {
        return e as { code: string };
      }
    })();
    expect(err?.code).toBe('ERR_ARGUMENT');
  });
});

describe('devices', () => {
  it('reports why cuda is unavailable in a CPU-only build', () => {
    const s = native.cudaStatus();
    if (!s.available) {
      expect(s.reason.length).toBeGreaterThan(10);
      expect(() => native.full([1], 0, 'float32', 'cuda')).toThrow(DeviceError);
    }
  });

  it('thread count is configurable', () => {
    const n = native.numThreads();
    expect(n).toBeGreaterThanOrEqual(1);
    native.setNumThreads(1);
    expect(native.numThreads()).toBe(1);
    native.setNumThreads(n);
  });
});
