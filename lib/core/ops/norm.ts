// Batch normalisation and dropout, with gradients.
import { isGradEnabled, record } from '../autograd/engine.js';
import { ArgumentError } from '../errors.js';
import { native } from '../native.js';
import { defaultGenerator, RandomGenerator } from '../random.js';
import { fromHandle, Tensor } from '../tensor.js';
import { add, mul, rsqrt, sub } from './elementwise.js';
import { reshape } from './shape.js';

export interface BatchNormOptions {
  training: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch norm over axis 1 of [N, C] or [N, C, H, W]. In training the batch statistics are used
 * and the running buffers (if given) are updated in place; in evaluation the running ones.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null,
  bias: Tensor | null,
  opts: BatchNormOptions,
): Tensor {
  const momentum = opts.momentum ?? 0.1,
    eps = opts.eps ?? 1e-5;
  if (opts.training) {
    const [y, saveMean, saveInvstd] = native.batchNormTrain(
      x.handle,
      weight?.handle ?? null,
      bias?.handle ?? null,
      runningMean?.handle ?? null,
      runningVar?.handle ?? null,
      momentum,
      eps,
    );
    const sm = fromHandle(saveMean),
      si = fromHandle(saveInvstd);
    const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
    return record(
      fromHandle(y),
      'batchNorm',
      inputs,
      (g) => {
        const [dx, dg, db] = native.batchNormBackward(x.handle, g.handle, weight?.handle ?? null, sm.handle, si.handle);
        const out: (Tensor | null)[] = [fromHandle(dx)];
        if (weight) out.push(fromHandle(dg));
        else dg.dispose();
        if (bias) out.push(fromHandle(db));
        else db.dispose();
        return out;
      },
      { output: false },
    );
  }
  if (!runningMean || !runningVar) throw new ArgumentError('batchNorm: evaluation mode needs the running mean and variance');
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  // Under noGrad nothing is recorded, so the fused kernel serves even a model whose parameters
  // require gradients (every inference pass).
  if (!isGradEnabled() || !inputs.some((t) => t.requiresGrad)) {
    return fromHandle(
      native.batchNormEval(x.handle, weight?.handle ?? null, bias?.handle ?? null, runningMean.handle, runningVar.handle, eps),
    );
  }
  // Gradients through an evaluation-mode network (input attacks): compose from primitives.
  const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const scale = reshape(rsqrt(add(runningVar, eps)), bshape);
  let y = mul(sub(x, reshape(runningMean, bshape)), scale);
  if (weight) y = mul(y, reshape(weight, bshape));
  if (bias) y = add(y, reshape(bias, bshape));
  return y;
}

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). */
export function dropout(x: Tensor, p: number, training: boolean, generator: RandomGenerator = defaultGenerator): Tensor {
  if (!(p >= 0 && p < 1)) throw new ArgumentError(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const [seed, offset] = generator.next(x.numel);
  const [y, mask] = native.dropout(x.handle, p, seed, offset);
  const m = fromHandle(mask);
  return record(fromHandle(y), 'dropout', [x], (g) => [fromHandle(native.dropoutBackward(g.handle, m.handle, p))]);
}
