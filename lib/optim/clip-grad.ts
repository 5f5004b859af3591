// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_: in place on the
// parameters' .grad, between backward() and optimizer.step().
import { noGrad } from '../core/autograd/engine.js';
import { ArgumentError } from '../core/errors.js';
import { copyInto } from '../core/ops/convert.js';
import { abs, affine, clamp, square } from '../core/ops/elementwise.js';
import { max, sum } from '../core/ops/reduce.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';

const gradsOf = (params: Iterable<Tensor>) => [...params].flatMap((p) => (p.grad ? [p.grad] : []));

/**
 * Scales the gradients so that their joint norm (2 or Infinity) is at most maxNorm. Returns the
 * norm before clipping. Like PyTorch, the scale is maxNorm / (norm + 1e-6), applied only when below 1.
 */
export function clipGradNorm_(params: Iterable<Tensor>, maxNorm: number, normType: 2 | typeof Infinity = 2): number {
  if (!(maxNorm >= 0)) throw new ArgumentError(`clipGradNorm_: maxNorm must be >= 0, got ${maxNorm}`);
  if (normType !== 2 && normType !== Infinity) throw new ArgumentError(`clipGradNorm_: normType must be 2 or Infinity, got ${normType}`);
  const grads = gradsOf(params);
  if (grads.length === 0) return 0;
  return noGrad(() =>
    tidy(() => {
      const parts = grads.map((g) => (normType === 2 ? sum(square(g)).item() : max(abs(g)).item()));
      const norm = normType === 2 ? Math.sqrt(parts.reduce((a, b) => a + b, 0)) : Math.max(...parts);
      const scale = maxNorm / (norm + 1e-6);
      if (scale < 1) for (const g of grads) copyInto(g, affine(g, scale, 0));
      return norm;
    }),
  );
}

/** Clamps every gradient element to [-clipValue, clipValue]. */
export function clipGradValue_(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new ArgumentError(`clipGradValue_: clipValue must be >= 0, got ${clipValue}`);
  noGrad(() => tidy(() => gradsOf(params).forEach((g) => copyInto(g, clamp(g, -clipValue, clipValue)))));
}
