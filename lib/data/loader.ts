// In-memory data sets and a DataLoader with seeded shuffling. The shuffle order of epoch e is
// a pure function of (seed, e), so a run resumed at (epoch, batch) sees exactly the batches an
// uninterrupted run would.
import { ArgumentError, ShapeError } from '../core/errors.js';
import { endStep, endSteps } from '../core/scope.js';
import { tensor } from '../core/ops/creation.js';
import { indexSelect, slice } from '../core/ops/shape.js';
import { epochPermutation } from '../core/random.js';
import { shapeStr, Tensor } from '../core/tensor.js';

export interface TensorDataset {
  /** Inputs [N, ...] (float32). */
  x: Tensor;
  /** Targets [N] (int32 class indices) or [N, ...]. */
  y: Tensor;
}

export function tensorDataset(x: Tensor, y: Tensor): TensorDataset {
  if (x.shape[0] !== y.shape[0])
    throw new ShapeError(`tensorDataset: ${x.shape[0]} inputs ${shapeStr(x.shape)} but ${y.shape[0]} targets ${shapeStr(y.shape)}`);
  return { x, y };
}

export const datasetSize = (d: TensorDataset) => d.x.shape[0];

/** The rows of a data set at the given indices (copies). */
export function subset(d: TensorDataset, indices: Int32Array): TensorDataset {
  const idx = tensor(indices, [indices.length], { device: d.x.device });
  const out = { x: indexSelect(d.x, 0, idx), y: indexSelect(d.y, 0, idx) };
  idx.dispose();
  return out;
}

/** The order of a seeded shuffle of n items for an epoch (a permutation of [0, n)). */
export function shuffleOrder(n: number, seed: number | bigint, epoch: number): Int32Array {
  return epochPermutation(n, seed, epoch);
}

/** Splits into [first, second] with `fraction` of the rows (rounded down) in the second, seeded. */
export function randomSplit(d: TensorDataset, fraction: number, seed: number): [TensorDataset, TensorDataset] {
  if (!(fraction > 0 && fraction < 1)) throw new ArgumentError(`randomSplit: fraction must be in (0, 1), got ${fraction}`);
  const n = datasetSize(d);
  const order = shuffleOrder(n, seed ^ 0x5eed, 0);
  const nSecond = Math.floor(n * fraction);
  return [subset(d, order.slice(0, n - nSecond)), subset(d, order.slice(n - nSecond))];
}

/**
 * The Philox key of a DataLoader's shuffles. A RandomGenerator(seed) draws its first values from key
 * `seed` at offset 0, exactly the words the shuffle of epoch 0 would sort by if it used the seed
 * itself; `nnlab train --seed S` seeds both the model init and the loader with S, which made each
 * image's position in every epoch a monotone function of some initial weight. Mixing the seed
 * (splitmix64 of seed ^ a domain constant) gives the loader a stream of its own.
 */
export function loaderShuffleKey(seed: number): bigint {
  const mask = (1n << 64n) - 1n;
  let z = ((BigInt.asUintN(64, BigInt(seed)) ^ 0x6c6f616465725f73n) + 0x9e3779b97f4a7c15n) & mask; // 'loader_s'
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
  return z ^ (z >> 31n);
}

export interface LoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
}

export interface Batch {
  x: Tensor;
  y: Tensor;
  /** Index of the batch within its epoch. */
  index: number;
}

/** Batches between two turns of the event loop in `for await`. */
const YIELD_EVERY = 32;

export class DataLoader {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;

  constructor(
    readonly dataset: TensorDataset,
    opts: LoaderOptions,
  ) {
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0))
      throw new ArgumentError(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? false;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? false;
  }

  get size(): number {
    return datasetSize(this.dataset);
  }

  /** Number of batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  /** Epochs started by for...of so far: the next loop shuffles with this epoch's order. */
  epoch = 0;

  // `for (const [x, y] of loader)` and `for await`: one epoch of [inputs, targets], a new shuffle
  // each loop, as PyTorch's. Each batch handed out ends a training step (lib/core/steps.ts), so a
  // loop without tidy() frees each step's tensors; the loop's end frees the older step and hands
  // the last batch's tensors back to the GC.

  [Symbol.iterator](): IterableIterator<[Tensor, Tensor]> {
    return this.iterate();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<[Tensor, Tensor]> {
    const it = this.iterate();
    let handed = 0;
    return {
      next: async () => {
        // A turn of the event loop now and then runs the N-API finalisers of the handles the
        // steps disposed (their bookkeeping is freed only there): the resident set stays flat.
        if (++handed % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
        return it.next();
      },
      return: async () => it.return!(),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private iterate(): IterableIterator<[Tensor, Tensor]> {
    const batches = this.batches(this.epoch++);
    let last: Tensor | undefined;
    let handed = 0;
    const it: IterableIterator<[Tensor, Tensor]> = {
      next: () => {
        // A batch is coming: the iteration before ends. At the end no boundary, so that the last
        // iteration's tensors stay usable after the loop.
        if (handed++ < this.length) endStep();
        const r = batches.next();
        if (r.done) {
          endSteps(last);
          return { done: true, value: undefined };
        }
        last = r.value.x;
        return { done: false, value: [r.value.x, r.value.y] };
      },
      return: () => {
        batches.return(undefined);
        endSteps(last);
        return { done: true, value: undefined };
      },
      [Symbol.iterator]() {
        return it;
      },
    };
    return it;
  }

  /** Batches of an epoch, starting at batch `from` (for resumed runs). The caller disposes them. */
  *batches(epoch = 0, from = 0): Generator<Batch> {
    const n = this.size;
    const order = this.shuffle ? shuffleOrder(n, loaderShuffleKey(this.seed), epoch) : null;
    for (let b = from; b < this.length; b++) {
      const lo = b * this.batchSize,
        hi = Math.min(n, lo + this.batchSize);
      if (order) {
        const idx = tensor(order.subarray(lo, hi), [hi - lo], { device: this.dataset.x.device });
        const x = indexSelect(this.dataset.x, 0, idx);
        const y = indexSelect(this.dataset.y, 0, idx);
        idx.dispose();
        yield { x, y, index: b };
      } else {
        yield { x: rowsOf(this.dataset.x, lo, hi), y: rowsOf(this.dataset.y, lo, hi), index: b };
      }
    }
  }
}

/** Rows [lo, hi) of a tensor as a contiguous copy. */
export function rowsOf(t: Tensor, lo: number, hi: number): Tensor {
  return slice(t, 0, lo, hi);
}
