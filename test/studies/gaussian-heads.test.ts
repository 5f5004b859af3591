// The mean/variance heads and Gaussian NLL of ensemble-regression: values against the closed
// form, gradients by finite differences, the mixture moments, and shape errors.
import { describe, expect, it } from 'vitest';

import { ShapeError, tensor, tidy } from '../../lib/index.js';
import { gaussianNll, meanAndVariance, MIN_VARIANCE, mixtureMoments } from '../../lib/studies/shared/gaussian-heads.js';
import { gradcheck } from '../support/gradcheck.js';

const softplus = (s: number) => Math.log1p(Math.exp(s));

describe('Gaussian heads', () => {
  it('NLL matches log(2 pi var)/2 + (y - mu)^2 / (2 var) with var = softplus(s) + 1e-6', () => {
    const out = [0.5, -1, 2, 0.3, -0.7, 2.5],
      y = [1, 1.5, -0.2];
    const got = tidy(() => {
      const { mean, variance } = meanAndVariance(tensor(Float32Array.from(out), [3, 2]));
      return [
        gaussianNll(mean, variance, tensor(Float32Array.from(y), [3, 1])).item(),
        gaussianNll(mean, variance, tensor(Float32Array.from(y), [3, 1]), 'sum').item(),
      ];
    });
    let want = 0;
    for (let i = 0; i < 3; i++) {
      const v = softplus(out[2 * i + 1]) + MIN_VARIANCE;
      want += 0.5 * Math.log(2 * Math.PI * v) + (y[i] - out[2 * i]) ** 2 / (2 * v);
    }
    expect(got[0]).toBeCloseTo(want / 3, 5);
    expect(got[1]).toBeCloseTo(want, 4);
  });

  it('gradients of the NLL through both heads match finite differences', () => {
    const out = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i * 1.7) * 1.5);
    const y = Float32Array.from({ length: 8 }, (_, i) => Math.cos(i) * 2);
    gradcheck(
      ([o, t]) => {
        const { mean, variance } = meanAndVariance(o);
        return gaussianNll(mean, variance, t);
      },
      [
        { data: out, shape: [8, 2] },
        { data: y, shape: [8, 1] },
      ],
      { h: 1e-2, label: 'gaussianNll' },
    );
  });

  it('mixture moments: mean of means, mean of (var + mu^2) minus the squared mean', () => {
    const m = mixtureMoments([Float32Array.of(1, 0), Float32Array.of(3, 0)], [Float32Array.of(1, 2), Float32Array.of(1, 4)]);
    expect(Array.from(m.mean)).toEqual([2, 0]);
    expect(m.variance[0]).toBeCloseTo(2, 6); // (1+1 + 1+9)/2 - 4
    expect(m.variance[1]).toBeCloseTo(3, 6);
  });

  it('bad shapes name what was expected', () => {
    tidy(() => {
      expect(() => meanAndVariance(tensor(new Float32Array(6), [2, 3]))).toThrow(ShapeError);
      expect(() => meanAndVariance(tensor(new Float32Array(6), [2, 3]))).toThrow(/\[N, 2\]/);
      const { mean, variance } = meanAndVariance(tensor(new Float32Array(6), [3, 2]));
      expect(() => gaussianNll(mean, variance, tensor(new Float32Array(3), [3]))).toThrow(
        /target \[3\] must have the mean's shape \[3, 1\]/,
      );
    });
  });
});
