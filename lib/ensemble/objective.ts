// What a batched ensemble step minimises. The members' stacked logits give each member its own
// cross-entropy; the objective is pluggable (ObjectiveContext): adversarial training, for one,
// takes the input gradient of ctx.loss at ctx.x (member m's input only reaches member m's loss,
// so the stacked input gradient is every member's own), perturbs ctx.x and adds the loss there.
import * as ops from '../core/ops/index.js';
import { ShapeError } from '../core/errors.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import type { StackedModel } from './stack.js';

/** Called once per stack and step (fitBatched's stackSize: members may run as several stacks). */
export interface ObjectiveContext {
  /** This stack's members. */
  model: StackedModel;
  /** Stacked inputs [B, M*C, ...]: member m's batch in channels m*C .. (m+1)*C - 1. */
  x: Tensor;
  /** int32 labels [B*M], batch-major: y[i*M + m] is the label of member m's i-th example. */
  y: Tensor;
  members: number;
  batchSize: number;
  /** Sum over members of each member's mean cross-entropy, from stacked logits [B, M*K]. */
  loss(output: Tensor): Tensor;
  /** Clears every member's parameter gradients (after a backward pass taken for input gradients). */
  zeroGrad(): void;
}

export interface ObjectiveResult {
  /** The scalar to minimise (backward() runs on it). */
  loss: Tensor;
  /** Stacked logits on the clean batch, for the per-member training loss and accuracy. */
  output: Tensor;
}

export type Objective = (ctx: ObjectiveContext) => ObjectiveResult;

/** Plain maximum likelihood: the members' cross-entropy on their own batches. */
export const standardObjective: Objective = (ctx) => {
  const output = ctx.model.forward(ctx.x);
  return { loss: ctx.loss(output), output };
};

/** Cross-entropy of every (example, member) row of stacked logits [B, M*K], batch-major [B*M]. */
export function memberRowLosses(output: Tensor, y: Tensor, members: number): Tensor {
  if (output.ndim !== 2 || output.shape[1] % members !== 0 || output.shape[0] * members !== y.shape[0])
    throw new ShapeError(`objective: stacked logits must be [B, ${members}*K] for ${y.shape[0]} labels, got ${shapeStr(output.shape)}`);
  const K = output.shape[1] / members;
  return ops.crossEntropy(ops.reshape(output, [output.shape[0] * members, K]), y, { reduction: 'none' });
}
