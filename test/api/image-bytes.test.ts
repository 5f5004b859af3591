// uint8 images to normalised floats: pixelStats of the bytes and normalizedImages (one table
// lookup per pixel) must give the bits of the two-pass path they replace, pixelStats and
// normalize of toUnitFloat(images), for every byte value at every position, or `nnlab train`'s
// inputs (and so its weights and figures) would move.
import { describe, expect, it } from 'vitest';

import { data, tensor } from '../../lib/index.js';

/** How many elements of two float32 tensors differ in their bits (NaN payloads included). */
function bitDifferences(a: { data(): ArrayLike<number> }, b: { data(): ArrayLike<number> }): number {
  const [x, y] = [a, b].map((t) => {
    const d = t.data() as Float32Array;
    return new Uint32Array(d.buffer, d.byteOffset, d.length);
  });
  let n = Math.abs(x.length - y.length);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) n++;
  return n;
}

describe('normalised images from bytes', () => {
  it('has the bits of normalize(toUnitFloat(x)) for all 256 byte values at every offset', () => {
    // Each byte value at every position modulo 64 (vector lanes, loop tails), in images of 28x28
    // and in a long run that crosses the kernels' thread chunks.
    const n = 256 * 64 * 40;
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i + Math.floor(i / 256)) % 256);
    for (const shape of [[n / 784, 28, 28].map(Math.floor), [n]]) {
      const count = shape.reduce((a, b) => a * b, 1);
      const x = tensor(bytes.subarray(0, count), shape);
      for (const stats of [data.pixelStats(x), { mean: 0.1307, std: 0.3081 }, { mean: -3.5, std: 17 }]) {
        const unit = data.toUnitFloat(x);
        const twoPass = data.normalize(unit, stats);
        const fused = data.normalizedImages(x, stats);
        expect(fused.shape).toEqual(twoPass.shape);
        expect(fused.dtype).toBe('float32');
        expect(bitDifferences(fused, twoPass), JSON.stringify(stats)).toBe(0);
        [unit, twoPass, fused].forEach((t) => t.dispose());
      }
      x.dispose();
    }
  });

  it('pixelStats of bytes is pixelStats of toUnitFloat(bytes), bit for bit', () => {
    for (const [n, seed] of [
      [1, 1],
      [784, 2],
      [8192 * 3 + 5, 3],
      [8192 * 512 + 784, 4],
    ]) {
      let s = seed;
      const bytes = Uint8Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0), s >>> 24));
      const x = tensor(bytes, [n]);
      const unit = data.toUnitFloat(x);
      expect(data.pixelStats(x), `n = ${n}`).toEqual(data.pixelStats(unit));
      [x, unit].forEach((t) => t.dispose());
    }
  });

  it('takes the two ops for float images', () => {
    const x = tensor(Float32Array.from([0, 0.5, 1, 0.25]), [1, 2, 2]);
    const s = { mean: 0.5, std: 0.25 };
    const unit = data.toUnitFloat(x);
    expect(Array.from(data.normalizedImages(x, s).data() as Float32Array)).toEqual(
      Array.from(data.normalize(unit, s).data() as Float32Array),
    );
  });
});
