import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, IndexOutOfRangeError, ShapeError, ValueError } from '../../lib/core/errors.js';
import { expectClose, grad, native, numel, randomArray, randomInts, tensor, testDevices, values } from '../support/op-test.js';

/** float64 softmax / log-softmax of x viewed as [outer, dim, inner]. */
function softmaxRef(x: ArrayLike<number>, shape: number[], axis: number, log: boolean): Float64Array {
  const ax = axis < 0 ? axis + shape.length : axis;
  const outer = numel(shape.slice(0, ax)),
    dim = shape[ax],
    inner = numel(shape.slice(ax + 1));
  const y = new Float64Array(x.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (d: number) => (o * dim + d) * inner + i;
      let m = -Infinity;
      for (let d = 0; d < dim; d++) m = Math.max(m, x[at(d)]);
      let s = 0;
      for (let d = 0; d < dim; d++) s += Math.exp(x[at(d)] - m);
      for (let d = 0; d < dim; d++) y[at(d)] = log ? x[at(d)] - m - Math.log(s) : Math.exp(x[at(d)] - m) / s;
    }
  return y;
}

/** PyTorch's cross_entropy with label smoothing, per sample, float64. */
function crossEntropyRef(x: ArrayLike<number>, labels: ArrayLike<number>, n: number, c: number, ls: number) {
  const logp = softmaxRef(x, [n, c], 1, true);
  const losses = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let j = 0; j < c; j++) mean += -logp[r * c + j] / c;
    losses[r] = (1 - ls) * -logp[r * c + labels[r]] + ls * mean;
  }
  return { losses, probs: softmaxRef(x, [n, c], 1, false) };
}

describe.each(testDevices())('softmax family on %s', (device) => {
  const cases: [number[], number][] = [
    [[3, 5], -1],
    [[4, 7, 3], 1],
    [[4, 7, 3], 0],
    [[5], 0],
    [[2, 3, 1], -1],
    [[6, 1000], 1],
    [[2, 300, 600], 1],
  ];

  for (const log of [false, true]) {
    const name = log ? 'logSoftmax' : 'softmax';
    it(`${name} matches a float64 reference along any axis`, () => {
      cases.forEach(([shape, axis], k) => {
        const x = randomArray(numel(shape), 50 + k, -6, 6);
        const y = log ? native.logSoftmax(tensor(x, shape, device), axis) : native.softmax(tensor(x, shape, device), axis);
        expectClose(values(y), softmaxRef(x, shape, axis, log), 2e-5, 1e-6, `${name} [${shape}] axis ${axis}`);
      });
    });

    it(`${name} is stable for huge logits`, () => {
      const x = Float32Array.from([1000, 1001, 1002, -1000, -1e30, 0]);
      const y = values(log ? native.logSoftmax(tensor(x, [2, 3], device)) : native.softmax(tensor(x, [2, 3], device)));
      expect(y.every(Number.isFinite)).toBe(true);
      expectClose(y, softmaxRef(x, [2, 3], 1, log), 1e-5, 1e-6);
    });

    it(`${name}Backward matches finite differences`, () => {
      for (const [shape, axis] of [
        [[3, 5], -1],
        [[2, 4, 3], 1],
        [[4, 2, 3], 0],
      ] as [number[], number][]) {
        const x = randomArray(numel(shape), 61, -2, 2);
        const w = randomArray(numel(shape), 62);
        const fwd = (a: Float32Array) =>
          log ? native.logSoftmax(tensor(a, shape, device), axis) : native.softmax(tensor(a, shape, device), axis);
        const y = fwd(x);
        const dx = log
          ? native.logSoftmaxBackward(y, tensor(w, shape, device), axis)
          : native.softmaxBackward(y, tensor(w, shape, device), axis);
        const idx = Array.from({ length: x.length }, (_, i) => i);
        grad.expectClose(
          values(dx),
          grad.numeric((a) => grad.weightedSum(values(fwd(a)), w), x, 1e-2),
          idx,
          2e-2,
          1e-3,
          `${name} [${shape}]`,
        );
      }
    });
  }

  for (const ls of [0, 0.1]) {
    it(`crossEntropy (labelSmoothing ${ls}) matches PyTorch's definition`, () => {
      for (const [n, c] of [
        [5, 3],
        [7, 10],
        [300, 1000],
      ]) {
        const x = randomArray(n * c, 70 + c, -5, 5);
        const labels = randomInts(n, 71 + c, c);
        const [losses, probs] = native.crossEntropy(tensor(x, [n, c], device), native.fromTypedArray(labels, [n], device), ls);
        const ref = crossEntropyRef(x, labels, n, c, ls);
        expect(losses.shape).toEqual([n]);
        expect(probs.shape).toEqual([n, c]);
        expectClose(values(losses), ref.losses, 1e-5, 1e-5, 'losses');
        expectClose(values(probs), ref.probs, 1e-5, 1e-7, 'probs');
      }
    });

    it(`crossEntropyBackward (labelSmoothing ${ls}) matches finite differences`, () => {
      const n = 4,
        c = 6;
      const x = randomArray(n * c, 80, -3, 3);
      const labels = native.fromTypedArray(randomInts(n, 81, c), [n], device);
      const dloss = randomArray(n, 82);
      const loss = (a: Float32Array) => grad.weightedSum(values(native.crossEntropy(tensor(a, [n, c], device), labels, ls)[0]), dloss);
      const [, probs] = native.crossEntropy(tensor(x, [n, c], device), labels, ls);
      const dx = native.crossEntropyBackward(probs, labels, tensor(dloss, [n], device), ls);
      const idx = Array.from({ length: n * c }, (_, i) => i);
      grad.expectClose(values(dx), grad.numeric(loss, x, 1e-2), idx, 2e-2, 1e-3);
    });
  }

  it("crossEntropy's reduction and a scalar dloss give the bits of reduce() and of a broadcast dloss", () => {
    for (const n of [0, 1, 7, 100, 1000]) {
      const c = 10;
      const x = tensor(randomArray(n * c, 95 + n, -4, 4), [n, c], device);
      const labels = native.fromTypedArray(randomInts(n, 96 + n, c), [n], device);
      const [losses, probs] = native.crossEntropy(x, labels, 0.1);
      for (const op of ['sum', 'mean'] as const) {
        const [loss, p] = native.crossEntropy(x, labels, 0.1, op);
        expect(loss.shape).toEqual([]);
        expect(values(loss)).toEqual(values(native.reduce(losses, op, [0], false)));
        expect(values(p)).toEqual(values(probs));
      }
      expect(values(native.crossEntropy(x, labels, 0.1, 'none')[0])).toEqual(values(losses));
      const g = tensor([0.37], [], device);
      expect(values(native.crossEntropyBackward(probs, labels, g, 0.1))).toEqual(
        values(native.crossEntropyBackward(probs, labels, native.stridedCopy(g, [n], [0], 0), 0.1)),
      );
    }
    const x = randTensor([2, 3]);
    expect(() => native.crossEntropy(x, native.fromTypedArray(Int32Array.from([0, 2]), [2], device), 0, 'max' as never)).toThrow(
      ArgumentError,
    );
  });

  it('crossEntropy with huge but finite logits stays finite', () => {
    const [losses] = native.crossEntropy(
      tensor([1e4, -1e4, 0, 3e4], [2, 2], device),
      native.fromTypedArray(Int32Array.from([1, 0]), [2], device),
    );
    expectClose(values(losses), [2e4, 3e4], 1e-6, 0);
  });

  it('crossEntropy refuses NaN and infinite logits, naming the row', () => {
    const labels = native.fromTypedArray(Int32Array.from([0, 1, 2]), [3], device);
    const x = randomArray(9, 90);
    x[5] = NaN;
    expect(() => native.crossEntropy(tensor(x, [3, 3], device), labels)).toThrow(ValueError);
    expect(() => native.crossEntropy(tensor(x, [3, 3], device), labels)).toThrow(/row 1 .*NaN at class 2/);
    const y = randomArray(9, 91);
    y[7] = -Infinity; // would give a finite loss without the check
    expect(() => native.crossEntropy(tensor(y, [3, 3], device), labels)).toThrow(/row 2 .*-Infinity at class 1/);
    y[7] = Infinity;
    expect(() => native.crossEntropy(tensor(y, [3, 3], device), labels, 0.2)).toThrow(ValueError);
  });

  it('handles zero-size batches', () => {
    const [losses, probs] = native.crossEntropy(
      native.full([0, 4], 0, 'float32', device),
      native.fromTypedArray(new Int32Array(0), [0], device),
    );
    expect(losses.shape).toEqual([0]);
    expect(probs.shape).toEqual([0, 4]);
    expect(native.softmax(native.full([0, 4], 0, 'float32', device)).shape).toEqual([0, 4]);
  });

  it('typed errors for bad input', () => {
    const x = randTensor([2, 3]);
    const labels = native.fromTypedArray(Int32Array.from([0, 3]), [2], device);
    expect(() => native.crossEntropy(x, labels)).toThrow(IndexOutOfRangeError);
    expect(() => native.crossEntropy(x, labels)).toThrow(/holds 3 at position 1.*3 classes \(valid range \[0, 3\)\)/);
    expect(() => native.crossEntropy(x, native.fromTypedArray(Int32Array.from([-1, 0]), [2], device))).toThrow(IndexOutOfRangeError);
    const good = native.fromTypedArray(Int32Array.from([0, 2]), [2], device);
    expect(() => native.crossEntropy(x, tensor([0, 1], [2], device))).toThrow(DTypeError);
    expect(() => native.crossEntropy(x, native.fromTypedArray(Int32Array.from([0]), [1], device))).toThrow(ShapeError);
    expect(() => native.crossEntropy(native.reshape(x, [6]), good)).toThrow(ShapeError);
    expect(() => native.crossEntropy(x, good, 1.5)).toThrow(ArgumentError);
    expect(() => native.crossEntropy(x, good, NaN)).toThrow(ArgumentError);
    expect(() => native.crossEntropyBackward(x, good, tensor([1, 1, 1], [3], device))).toThrow(ShapeError);
    expect(() => native.crossEntropyBackward(x, labels, tensor([1, 1], [2], device))).toThrow(IndexOutOfRangeError);
    expect(() => native.softmax(x, 2)).toThrow(ArgumentError);
    expect(() => native.softmax(x, -3)).toThrow(/out of range for a tensor of shape \[2, 3\]/);
    expect(() => native.softmaxBackward(x, randTensor([3, 2]))).toThrow(ShapeError);
    expect(() => native.logSoftmax(native.fromTypedArray(Int32Array.from([1]), [1], device))).toThrow(DTypeError);
  });

  function randTensor(shape: number[]) {
    return tensor(randomArray(numel(shape), 99), shape, device);
  }
});
