// Softmax, log-softmax and the losses built on them, with gradients.
import { record } from '../autograd/engine.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { native } from '../native.js';
import type { NativeTensor } from '../native.js';
import { fromHandle, shapeStr, Tensor } from '../tensor.js';
import { neg } from './elementwise.js';
import { gather, reshape } from './shape.js';
import { mean, sum } from './reduce.js';

export function softmax(x: Tensor, axis = -1): Tensor {
  const y = fromHandle(native.softmax(x.handle, axis));
  return record(y, 'softmax', [x], (g) => [fromHandle(native.softmaxBackward(y.handle, g.handle, axis))]);
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const y = fromHandle(native.logSoftmax(x.handle, axis));
  return record(y, 'logSoftmax', [x], (g) => [fromHandle(native.logSoftmaxBackward(y.handle, g.handle, axis))]);
}

export type Reduction = 'mean' | 'sum' | 'none';

function int32Labels(labels: Tensor, op: string): Tensor {
  if (labels.dtype === 'int32') return labels;
  if (labels.dtype === 'uint8') return fromHandle(native.cast(labels.handle, 'int32'));
  throw new ArgumentError(`${op}: labels must be an int32 (or uint8) tensor of class indices, got ${labels.dtype}`);
}

/** Cross-entropy from logits [N, C] and class indices [N] (fused softmax + NLL). */
export function crossEntropy(logits: Tensor, labels: Tensor, opts: { reduction?: Reduction; labelSmoothing?: number } = {}): Tensor {
  const reduction = opts.reduction ?? 'mean',
    ls = opts.labelSmoothing ?? 0;
  if (logits.ndim !== 2) throw new ShapeError(`crossEntropy: logits must be [N, C], got ${shapeStr(logits.shape)}`);
  const lab = int32Labels(labels, 'crossEntropy');
  const n = logits.shape[0];
  // A reduced loss is one op: the per-row losses never leave the native side, and its gradient
  // goes straight to the logits. Values and gradients are those of sum() or mean() over the
  // losses: the same reduction, the same scaling of the incoming gradient, broadcast to the rows.
  const op = reduction === 'none' ? 'none' : reduction === 'sum' ? 'sum' : 'mean';
  const [lossH, probsH] = native.crossEntropy(logits.handle, lab.handle, ls, op);
  const probs = fromHandle(probsH);
  const backward = (dloss: NativeTensor) => [fromHandle(native.crossEntropyBackward(probs.handle, lab.handle, dloss, ls))];
  if (op === 'none') return record(fromHandle(lossH), 'crossEntropy', [logits], (g) => backward(g.handle));
  return record(fromHandle(lossH), `crossEntropy(${op})`, [logits], (g) => {
    if (op === 'sum') return backward(g.handle);
    const scaled = native.unary(g.handle, 'affine', 1 / Math.max(n, 1), 0);
    try {
      return backward(scaled);
    } finally {
      scaled.dispose();
    }
  });
}

/** Negative log-likelihood of log-probabilities [N, C] at class indices [N]. */
export function nllLoss(logProbs: Tensor, labels: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  if (logProbs.ndim !== 2) throw new ShapeError(`nllLoss: input must be [N, C] log-probabilities, got ${shapeStr(logProbs.shape)}`);
  const lab = int32Labels(labels, 'nllLoss');
  if (lab.ndim !== 1 || lab.shape[0] !== logProbs.shape[0])
    throw new ShapeError(
      `nllLoss: labels ${shapeStr(lab.shape)} do not match input ${shapeStr(logProbs.shape)}; expected [${logProbs.shape[0]}]`,
    );
  const picked = reshape(gather(logProbs, 1, reshape(lab, [lab.shape[0], 1])), [lab.shape[0]]);
  const losses = neg(picked);
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return losses;
  return reduction === 'sum' ? sum(losses) : mean(losses);
}
