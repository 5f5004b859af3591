// mseLoss's forward pass (native squaredDiff): bit for bit the separate sub, square and reduce it
// replaces, over one and several of the CPU's 8192-element blocks, tails past the last 16 lanes,
// NaN and infinities, and nothing at all; and mseLoss's values and gradients against the composite.
import { describe, expect, it } from 'vitest';

import { ArgumentError, ShapeError } from '../../lib/core/errors.js';
import { backward, nn, ops, tensor, tidy } from '../../lib/index.js';
import { native, randomArray, tensor as nativeTensor, values } from '../support/native.js';

const SHAPES = [[0], [], [1], [15], [16], [37], [8192], [8193], [3, 5000], [2048, 784]];

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

function pair(shape: number[], seed: number, specials: boolean) {
  const n = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from(randomArray(n, seed, -2, 2)),
    t = Float32Array.from(randomArray(n, seed + 1, -2, 2));
  if (specials && n > 40) {
    x[3] = NaN;
    t[20] = Infinity;
    x[33] = -0;
    t[33] = 0;
  }
  return [nativeTensor(x, shape), nativeTensor(t, shape)] as const;
}

describe('squaredDiff', () => {
  for (const shape of SHAPES)
    for (const op of ['sum', 'mean'] as const)
      for (const specials of [false, true])
        it(`${op} over ${JSON.stringify(shape)}${specials ? ' with NaN and inf' : ''} has the bits of sub, square, reduce`, () => {
          const [x, t] = pair(shape, shape.length * 7 + (shape[0] ?? 1), specials);
          const [diff, y] = native.squaredDiff(x, t, op);
          const d = native.binary(x, t, 'sub');
          const want = native.reduce(native.unary(d, 'square', 0, 0), op, [], false);
          expect(y.shape).toEqual([]);
          expect(diff.shape).toEqual(shape);
          expect(bits(values(diff))).toEqual(bits(values(d)));
          expect(bits(values(y))).toEqual(bits(values(want)));
        });

  it('rejects other reductions, other shapes', () => {
    const [x, t] = pair([4, 3], 1, false);
    expect(() => native.squaredDiff(x, t, 'max' as 'sum')).toThrow(ArgumentError);
    expect(() => native.squaredDiff(x, nativeTensor(new Float32Array(12), [3, 4]), 'sum')).toThrow(ShapeError);
  });
});

describe('mseLoss', () => {
  it('gives the composite mean(square(sub)) loss and gradients bit for bit', () => {
    tidy(() => {
      for (const reduction of ['mean', 'sum'] as const) {
        const xs = randomArray(600 * 30, 5, -1, 1),
          ts = randomArray(600 * 30, 6, -1, 1);
        const a = tensor(xs, [600, 30], { requiresGrad: true }),
          b = tensor(ts, [600, 30], { requiresGrad: true });
        const loss = nn.mseLoss(a, b, reduction);
        backward(loss);
        const a2 = tensor(xs, [600, 30], { requiresGrad: true }),
          b2 = tensor(ts, [600, 30], { requiresGrad: true });
        const sq = ops.square(ops.sub(a2, b2));
        const ref = reduction === 'mean' ? ops.mean(sq) : ops.sum(sq);
        backward(ref);
        expect(bits(loss.data() as Float32Array)).toEqual(bits(ref.data() as Float32Array));
        expect(bits(a.grad!.data() as Float32Array)).toEqual(bits(a2.grad!.data() as Float32Array));
        expect(bits(b.grad!.data() as Float32Array)).toEqual(bits(b2.grad!.data() as Float32Array));
      }
    });
  });
});
