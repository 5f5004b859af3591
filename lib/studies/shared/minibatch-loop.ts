// A lean mini-batch loop for the small seed-002 networks (a 784-100-10 MLP, a 2-D autoencoder):
// for them the cost is per step, not per FLOP, so each step gathers its batch's shuffled rows
// straight from the inputs (one copy of the batch; slicing an epoch-wide gather would copy every
// row twice), an autoencoder's target is its input gathered once, and the loop reads nothing back
// but the loss.
import { backward, data, ops, tensor, tidy } from '../../index.js';
import type { optim, Tensor } from '../../index.js';
import { ArgumentError, ShapeError } from '../../core/errors.js';

export interface MinibatchOptions {
  epochs: number;
  batch: number;
  /** Seed of the per-epoch shuffles (data.shuffleOrder). */
  seed: number;
  optimizer: optim.Optimizer;
  /** Forward pass and loss of one batch (a scalar the optimizer descends). */
  loss: (x: Tensor, target: Tensor) => Tensor;
  /** 'sum': the loss is a sum over the batch's rows; 'mean': a mean. Only changes the reported per-row loss. */
  reduction: 'sum' | 'mean';
  /** After every epoch: 0-based epoch, mean loss per row, seconds. Awaited (lets progress output through). */
  onEpoch?: (epoch: number, loss: number, seconds: number) => void | Promise<void>;
}

export interface MinibatchResult {
  /** Mean training loss per row, per epoch. */
  losses: number[];
  /** Sum of the epoch's batch losses as computed (what a loop summing loss.item() per batch would plot). */
  batchLossSums: number[];
  secondsPerEpoch: number;
}

export async function trainMinibatches(x: Tensor, target: Tensor, o: MinibatchOptions): Promise<MinibatchResult> {
  const n = x.shape[0];
  if (target.shape[0] !== n) throw new ShapeError(`trainMinibatches: ${n} inputs but ${target.shape[0]} targets`);
  if (!(Number.isInteger(o.batch) && o.batch > 0))
    throw new ArgumentError(`trainMinibatches: batch must be a positive integer, got ${o.batch}`);
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0))
    throw new ArgumentError(`trainMinibatches: epochs must be a non-negative integer, got ${o.epochs}`);
  const losses: number[] = [],
    batchLossSums: number[] = [];
  let seconds = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    const order = data.shuffleOrder(n, o.seed, epoch);
    let total = 0,
      batchSum = 0;
    for (let lo = 0; lo < n; lo += o.batch) {
      const hi = Math.min(lo + o.batch, n);
      tidy(() => {
        const idx = tensor(order.subarray(lo, hi), [hi - lo], { dtype: 'int32', device: x.device });
        const xb = ops.indexSelect(x, 0, idx);
        const l = o.loss(xb, target === x ? xb : ops.indexSelect(target, 0, idx));
        backward(l);
        o.optimizer.step();
        const v = l.item();
        batchSum += v;
        total += v * (o.reduction === 'mean' ? hi - lo : 1);
      });
      o.optimizer.zeroGrad();
    }
    const s = (performance.now() - t0) / 1000;
    seconds += s;
    losses.push(total / n);
    batchLossSums.push(batchSum);
    await o.onEpoch?.(epoch, total / n, s);
  }
  return { losses, batchLossSums, secondsPerEpoch: seconds / Math.max(o.epochs, 1) };
}
