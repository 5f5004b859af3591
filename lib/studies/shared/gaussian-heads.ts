// Regression networks with a mean and a variance head (Lakshminarayanan et al. 2017, section
// 2.2.1): the second output s becomes a variance softplus(s) + 1e-6, trained by the Gaussian
// negative log-likelihood; and the mixture an ensemble of such networks predicts.
import { ops } from '../../index.js';
import type { Tensor } from '../../index.js';
import { ShapeError } from '../../core/errors.js';

const shapeStr = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** The variance floor of the paper: keeps the NLL finite when the softplus underflows. */
export const MIN_VARIANCE = 1e-6;

/** Splits a network's [N, 2] output into the mean [N, 1] and the variance softplus(s) + 1e-6 [N, 1]. */
export function meanAndVariance(out: Tensor): { mean: Tensor; variance: Tensor } {
  if (out.ndim !== 2 || out.shape[1] !== 2)
    throw new ShapeError(`meanAndVariance: expected the network output [N, 2] (mean, raw variance), got ${shapeStr(out.shape)}`);
  return {
    mean: ops.slice(out, 1, 0, 1),
    variance: ops.affine(ops.softplus(ops.slice(out, 1, 1, 2)), 1, MIN_VARIANCE),
  };
}

/**
 * Gaussian NLL per point, log(variance)/2 + (y - mean)^2 / (2 variance) + log(2 pi)/2, summed or
 * averaged over the points. The constant keeps the values comparable with other papers' NLLs.
 */
export function gaussianNll(mean: Tensor, variance: Tensor, target: Tensor, reduction: 'mean' | 'sum' = 'mean'): Tensor {
  for (const [name, t] of [
    ['variance', variance],
    ['target', target],
  ] as const)
    if (t.shape.join() !== mean.shape.join())
      throw new ShapeError(`gaussianNll: ${name} ${shapeStr(t.shape)} must have the mean's shape ${shapeStr(mean.shape)}`);
  const perPoint = ops.affine(
    ops.add(ops.log(variance), ops.div(ops.square(ops.sub(target, mean)), variance)),
    0.5,
    0.5 * Math.log(2 * Math.PI),
  );
  return reduction === 'sum' ? ops.sum(perPoint) : ops.mean(perPoint);
}

/** The ensemble's Gaussian: the mixture's mean and variance, mean(var_m + mu_m^2) - mu*^2. */
export function mixtureMoments(means: Float32Array[], variances: Float32Array[]): { mean: Float64Array; variance: Float64Array } {
  const n = means[0].length,
    m = means.length;
  const mean = new Float64Array(n),
    variance = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mu = 0,
      second = 0;
    for (let k = 0; k < m; k++) {
      mu += means[k][i];
      second += variances[k][i] + means[k][i] * means[k][i];
    }
    mu /= m;
    mean[i] = mu;
    variance[i] = Math.max(second / m - mu * mu, 0);
  }
  return { mean, variance };
}
