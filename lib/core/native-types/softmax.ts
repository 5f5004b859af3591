// Typed surface of native/binding/ops_softmax.cpp.
import type { NativeTensor } from './core.js';

export interface SoftmaxOps {
  /** Numerically stable softmax along `axis` (default -1). */
  softmax(x: NativeTensor, axis?: number): NativeTensor;
  /** (x - max) - log(sum(exp(x - max))) along `axis` (default -1). */
  logSoftmax(x: NativeTensor, axis?: number): NativeTensor;
  /** dx from y = softmax(x) and dy: y * (dy - sum(dy * y)). */
  softmaxBackward(y: NativeTensor, dy: NativeTensor, axis?: number): NativeTensor;
  /** dx from y = logSoftmax(x) and dy: dy - exp(y) * sum(dy). */
  logSoftmaxBackward(y: NativeTensor, dy: NativeTensor, axis?: number): NativeTensor;
  /**
   * Fused softmax + cross-entropy: [per-sample losses [N], probs [N, C]] for logits [N, C] and int32
   * labels [N] in [0, C) (IndexOutOfRangeError otherwise). labelSmoothing in [0, 1] as in PyTorch.
   * reduction 'sum' or 'mean' gives the losses' sum or mean (a scalar, the bits of reduce()) in
   * place of the per-sample losses. Throws ValueError naming the first row holding a NaN or
   * infinite logit.
   */
  crossEntropy(
    logits: NativeTensor,
    labels: NativeTensor,
    labelSmoothing?: number,
    reduction?: 'none' | 'sum' | 'mean',
  ): [NativeTensor, NativeTensor];
  /**
   * dlogits [N, C] = dloss[i] * (probs[i] - target[i]), target the smoothed one-hot of labels;
   * dloss [] (a reduced loss's gradient) counts for every row.
   */
  crossEntropyBackward(probs: NativeTensor, labels: NativeTensor, dloss: NativeTensor, labelSmoothing?: number): NativeTensor;
}
