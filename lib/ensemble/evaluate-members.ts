// Every member of a stacked ensemble scored on the same images in one stacked pass per batch.
import { noGrad } from '../core/autograd/engine.js';
import { ArgumentError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { rowsOf } from '../data/loader.js';
import type { StackedModel } from './stack.js';

export interface MemberEval {
  loss: number;
  acc: number;
}

/** Mean cross-entropy and accuracy of every member on (x, y), each seeing the same images. */
export function evaluateMembers(model: StackedModel, x: Tensor, y: Tensor, batchSize?: number): MemberEval[] {
  const M = model.size,
    n = x.shape[0];
  // The stacked activations of b images are those of b*M images of one model: keep that near 1000.
  const bs = batchSize ?? Math.ceil(1000 / M);
  if (!(Number.isInteger(bs) && bs > 0)) throw new ArgumentError(`evaluateMembers: batchSize must be a positive integer, got ${bs}`);
  const loss = new Float64Array(M),
    correct = new Float64Array(M);
  const modes = model.members.map((m) => m.namedModules().map(([, s]) => [s, s.training] as const));
  model.members.forEach((m) => m.eval());
  try {
    noGrad(() => {
      for (let lo = 0; lo < n; lo += bs) {
        tidy(() => {
          const hi = Math.min(n, lo + bs);
          const xb = rowsOf(x, lo, hi),
            yb = rowsOf(y, lo, hi);
          const logits = model.memberOutputs(xb); // [M, b, K]
          const K = logits.shape[2],
            b = hi - lo;
          const yRep = ops.reshape(ops.expand(ops.reshape(ops.cast(yb, 'int32'), [1, b]), [M, b]), [M * b]);
          const l = ops.crossEntropy(ops.reshape(logits, [M * b, K]), yRep, { reduction: 'none' }).data() as Float32Array;
          const pred = ops.argmax(logits, 2).data() as Int32Array;
          const lab = yRep.data();
          for (let m = 0; m < M; m++)
            for (let i = 0; i < b; i++) {
              loss[m] += l[m * b + i];
              if (pred[m * b + i] === lab[m * b + i]) correct[m]++;
            }
        });
      }
    });
  } finally {
    for (const list of modes) for (const [s, t] of list) s.training = t;
  }
  return Array.from({ length: M }, (_, m) => ({ loss: loss[m] / n, acc: correct[m] / n }));
}
