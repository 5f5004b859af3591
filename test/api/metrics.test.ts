// lib/metrics on small cases computed by hand, and the typed errors on bad input.
import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, metrics, ShapeError, tensor, ValueError } from '../../lib/index.js';

const f32 = (rows: number[][]) => Float32Array.from(rows.flat());

describe('metrics on hand-computed cases', () => {
  // Three examples, three classes.
  const probs = f32([
    [0.7, 0.2, 0.1],
    [0.1, 0.5, 0.4],
    [0.28, 0.3, 0.42],
  ]);
  const labels = [0, 2, 2];

  it('accuracy uses the first maximum', () => {
    expect(metrics.accuracy(probs, labels)).toBeCloseTo(2 / 3, 12);
    // Tie between classes 0 and 1: the prediction is class 0.
    expect(metrics.accuracy(f32([[0.4, 0.4, 0.2]]), [0])).toBe(1);
    expect(metrics.accuracy(f32([[0.4, 0.4, 0.2]]), [1])).toBe(0);
    expect(metrics.errorRate(probs, labels)).toBeCloseTo(1 / 3, 12);
  });

  it('NLL is the mean -log p(true class), floored', () => {
    const want = -(Math.log(0.7) + Math.log(0.4) + Math.log(0.42)) / 3;
    expect(metrics.nll(probs, labels)).toBeCloseTo(want, 6);
    expect(metrics.nll(f32([[1, 0]]), [1])).toBeCloseTo(-Math.log(metrics.NLL_FLOOR), 9);
    expect(metrics.nll(f32([[1, 0]]), [1], { floor: 1e-3 })).toBeCloseTo(-Math.log(1e-3), 9);
  });

  it('Brier score sums squared errors over classes and averages over examples', () => {
    // Row 0: (0.3^2 + 0.2^2 + 0.1^2) = 0.14; row 1: 0.01 + 0.25 + 0.36 = 0.62; row 2: 0.0784 + 0.09 + 0.3364 = 0.5048.
    expect(metrics.brierScore(probs, labels)).toBeCloseTo((0.14 + 0.62 + 0.5048) / 3, 6);
    // A confident wrong answer costs 2, a confident right one 0.
    expect(
      metrics.brierScore(
        f32([
          [1, 0, 0],
          [0, 1, 0],
        ]),
        [1, 1],
      ),
    ).toBeCloseTo(1, 12);
  });

  it('ECE with 15 bins and the reliability-diagram data', () => {
    // Confidences 0.7 (bin 10: (10/15, 11/15]), 0.5 (bin 7) and 0.42 (bin 6), correct, wrong, correct.
    const c = metrics.expectedCalibrationError(probs, labels);
    expect(c.bins.length).toBe(15);
    expect(c.bins.map((b) => b.count)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0]);
    expect(c.bins[10]).toMatchObject({ count: 1, accuracy: 1 });
    expect(c.bins[10].confidence).toBeCloseTo(0.7, 6);
    expect(c.bins[7]).toMatchObject({ count: 1, accuracy: 0 });
    expect(c.bins[0]).toEqual({ lo: 0, hi: 1 / 15, count: 0, accuracy: null, confidence: null });
    const want = (Math.abs(1 - 0.7) + Math.abs(0 - 0.5) + Math.abs(1 - 0.42)) / 3;
    expect(c.ece).toBeCloseTo(want, 6);
    expect(c.mce).toBeCloseTo(0.58, 6);
    // A confidence on a bin edge goes to the lower bin (bins are closed on the right); 1 goes to the last.
    const edges = Float64Array.from({ length: 16 }, (_, b) => b / 15);
    expect(metrics.binOf(1 / 3, edges)).toBe(4);
    expect(metrics.binOf(1, edges)).toBe(14);
    expect(metrics.binOf(0, edges)).toBe(0);
    // Perfect calibration in a bin: two rows at confidence 0.5, one right and one wrong.
    expect(
      metrics.expectedCalibrationError(
        f32([
          [0.5, 0.5],
          [0.5, 0.5],
        ]),
        [0, 1],
      ).ece,
    ).toBeCloseTo(0, 12);
  });

  it('predictive entropy and mutual information', () => {
    const h = metrics.predictiveEntropy(
      f32([
        [0.5, 0.5],
        [1, 0],
      ]),
      2,
    );
    expect(h[0]).toBeCloseTo(Math.log(2), 6);
    expect(h[1]).toBe(0);
    // Two members that disagree completely: mean (0.5, 0.5), members certain -> MI = log 2.
    const members = f32([
      [1, 0],
      [0.5, 0.5],
      [0, 1],
      [0.5, 0.5],
    ]); // [M=2, N=2, C=2]
    const mi = metrics.mutualInformation(members, [2, 2, 2]);
    expect(mi[0]).toBeCloseTo(Math.log(2), 6);
    // Members that agree: no disagreement, whatever their own entropy.
    expect(mi[1]).toBe(0);
    expect(Array.from(metrics.memberMean(members, [2, 2, 2]))).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(metrics.memberMean(members, [2, 2, 2], 1))).toEqual([1, 0, 0.5, 0.5]);
    // A tensor carries its own shape.
    const t = tensor(members, [2, 2, 2]);
    expect(Array.from(metrics.mutualInformation(t))).toEqual(Array.from(mi));
  });

  it('AUROC counts ties as one half', () => {
    expect(metrics.auroc([3, 4], [1, 2])).toBe(1);
    expect(metrics.auroc([1, 2], [3, 4])).toBe(0);
    // Pairs (in, ood): (1,1) tie 0.5, (1,2) 0, (3,1) 1, (3,2) 1 -> 2.5 / 4.
    expect(metrics.auroc([1, 3], [1, 2])).toBe(0.625);
    // All scores equal: chance.
    expect(metrics.auroc([5, 5, 5], [5, 5])).toBe(0.5);
    // in [0.9, 0.8, 0.8, 0.3], ood [0.8, 0.1, 0.3]: 0.9 beats 3; each 0.8 beats 2 and ties 1 (2.5);
    // 0.3 beats 1 and ties 1 (1.5) -> (3 + 2.5 + 2.5 + 1.5) / 12.
    expect(metrics.auroc([0.9, 0.8, 0.8, 0.3], [0.8, 0.1, 0.3])).toBeCloseTo(9.5 / 12, 12);
  });

  it('FPR at 95% TPR', () => {
    // 20 in-distribution scores 1..20, OOD 0.5, 2.5, 10.5, 30: accepting 19 of 20 needs threshold 2,
    // which accepts 2.5, 10.5 and 30 -> 3/4.
    const ins = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(metrics.fprAt95Tpr(ins, [0.5, 2.5, 10.5, 30])).toBe(0.75);
    // At 50% TPR the threshold is 11, which accepts only the OOD score 30.
    expect(metrics.fprAtTpr(ins, [0.5, 2.5, 10.5, 30], 0.5)).toBe(0.25);
    // Separable scores: no OOD accepted.
    expect(metrics.fprAt95Tpr([5, 6, 7], [1, 2])).toBe(0);
    // Ties at the threshold accept every tied OOD example.
    expect(metrics.fprAt95Tpr([1, 1, 1], [1, 0])).toBe(0.5);
  });
});

describe('metrics reject bad input with typed errors', () => {
  it('shapes', () => {
    expect(() => metrics.accuracy(new Float32Array(7), [0, 1])).toThrow(ShapeError);
    expect(() => metrics.accuracy(tensor([[0.5, 0.5]]), [0, 1])).toThrow(/1 rows but there are 2 labels/);
    expect(() => metrics.nll(tensor([0.5, 0.5]), [0])).toThrow(ShapeError);
    expect(() => metrics.accuracy(f32([[1], [1]]), [0, 0])).toThrow(/at least 2 classes/);
    expect(() => metrics.mutualInformation(new Float32Array(8), [2, 3, 2])).toThrow(ShapeError);
    expect(() => metrics.mutualInformation(new Float32Array(8))).toThrow(ArgumentError);
    expect(() => metrics.predictiveEntropy(new Float32Array(4))).toThrow(/number of classes/);
    expect(() => metrics.auroc([], [1])).toThrow(ShapeError);
    expect(() => metrics.brierScore(f32([[0.5, 0.5]]), [])).toThrow(ShapeError);
  });

  it('values', () => {
    expect(() => metrics.accuracy(f32([[0.5, 0.5]]), [2])).toThrow(ValueError);
    expect(() => metrics.accuracy(f32([[0.5, 0.5]]), [0.5])).toThrow(/integers/);
    expect(() => metrics.nll(f32([[2, -1]]), [0])).toThrow(ValueError);
    expect(() => metrics.nll(f32([[3, 1]]), [0])).toThrow(/in \[0, 1\]/);
    expect(() => metrics.brierScore(f32([[0.3, 0.3]]), [0])).toThrow(/not logits/);
    expect(() => metrics.brierScore(f32([[NaN, 1]]), [0])).toThrow(ValueError);
    expect(() => metrics.auroc([1, NaN], [0])).toThrow(/finite/);
    expect(() => metrics.fprAtTpr([1], [0], 0)).toThrow(ArgumentError);
    expect(() => metrics.expectedCalibrationError(f32([[0.5, 0.5]]), [0], { bins: 0 })).toThrow(ArgumentError);
    expect(() => metrics.memberMean(f32([[0.5, 0.5]]), [1, 1, 2], 2)).toThrow(ArgumentError);
  });

  it('dtypes', () => {
    expect(() => metrics.accuracy(tensor([[0.5, 0.5]]), tensor([0.0]))).toThrow(DTypeError);
    expect(() => metrics.accuracy(tensor([[1, 0]], { dtype: 'int32' }), [0])).toThrow(DTypeError);
    expect(metrics.accuracy(tensor([[0.2, 0.8]]), tensor([1], { dtype: 'int32' }))).toBe(1);
  });
});
