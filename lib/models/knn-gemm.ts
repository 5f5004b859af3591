// Exact k nearest neighbours of byte images for searches repeated many times against the same
// memory (k-NN class maximisation re-queries every step): the train pixels are uploaded once, the
// dot products of a batch of queries come from one float32 GEMM, and every candidate is re-scored
// with its exact integer distance.
//
// Why the result is exact: products of bytes are exact in float32, so the GEMM's only error is in
// the sums, bounded by gamma = dim*u/(1 - dim*u) times the true dot (any summation order, FMA or
// not), and the true dot is at most sqrt(|q|^2 |t|^2). Each row thus has a certified interval
// [lower, upper] for its distance; the k-th smallest upper bound U bounds the k-th distance, so a
// row whose lower bound exceeds U cannot be among the k nearest. The others are re-scored exactly
// and ranked by (distance, train index), the tie rule of knn.ts.
import { ArgumentError, ShapeError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { noGrad } from '../core/autograd/engine.js';
import { tidy } from '../core/scope.js';
import type { Device, Tensor } from '../core/tensor.js';
import { exactSqDist } from './knn.js';
import type { ByteImages } from './knn.js';

const UNIT_ROUNDOFF = 2 ** -24;

export interface Neighbours {
  /** Train indices, nearest first. */
  index: number[];
  /** Exact squared distances in byte units. */
  distance: number[];
}

export class KnnMemory {
  readonly dim: number;
  private readonly norms: Float64Array;
  private readonly train: Tensor;
  private readonly gamma: number;

  /** memory: the stored images (uint8 rows) and labels. */
  constructor(
    readonly memory: ByteImages,
    readonly device: Device = 'cpu',
  ) {
    if (memory.n <= 0 || memory.pixels.length % memory.n !== 0)
      throw new ShapeError(`KnnMemory: ${memory.pixels.length} bytes for ${memory.n} images; expected n > 0 rows of equal length`);
    if (memory.labels.length !== memory.n) throw new ShapeError(`KnnMemory: ${memory.labels.length} labels for ${memory.n} images`);
    this.dim = memory.pixels.length / memory.n;
    this.norms = rowNorms(memory.pixels, memory.n, this.dim);
    this.gamma = (this.dim * UNIT_ROUNDOFF) / (1 - this.dim * UNIT_ROUNDOFF);
    this.train = ops.tensor(Float32Array.from(memory.pixels), [memory.n, this.dim], { device }).keep();
  }

  /**
   * For each query (uint8 rows [m, dim]) and each filter, the k nearest memory rows whose label
   * passes the filter: filters[f][q] is a class, or -1 for any class.
   */
  search(queries: Uint8Array, k: number, filters: ArrayLike<number>[]): Neighbours[][] {
    const m = queries.length / this.dim;
    if (!Number.isInteger(m))
      throw new ShapeError(`KnnMemory.search: ${queries.length} query bytes is not a whole number of ${this.dim}-pixel rows`);
    if (!(Number.isInteger(k) && k >= 1 && k <= this.memory.n))
      throw new ArgumentError(`KnnMemory.search: k must be an integer in [1, ${this.memory.n}], got ${k}`);
    for (const f of filters)
      if (f.length !== m) throw new ShapeError(`KnnMemory.search: a filter has ${f.length} entries for ${m} queries`);
    const dots = noGrad(() =>
      tidy(
        () => ops.linear(ops.tensor(Float32Array.from(queries), [m, this.dim], { device: this.device }), this.train).data() as Float32Array,
      ),
    );
    const qNorms = rowNorms(queries, m, this.dim);
    return filters.map((f) =>
      Array.from({ length: m }, (_, q) =>
        this.nearest(queries, q, qNorms[q], dots.subarray(q * this.memory.n, (q + 1) * this.memory.n), k, f[q]),
      ),
    );
  }

  dispose(): void {
    this.train.dispose();
  }

  private nearest(queries: Uint8Array, q: number, qn: number, dots: Float32Array, k: number, cls: number): Neighbours {
    const { n, labels, pixels } = this.memory;
    const lower = new Float64Array(n),
      upperK: number[] = [];
    for (let i = 0; i < n; i++) {
      if (cls >= 0 && labels[i] !== cls) {
        lower[i] = Infinity;
        continue;
      }
      const approx = qn + this.norms[i] - 2 * dots[i],
        slack = 2 * this.gamma * Math.sqrt(qn * this.norms[i]) + 1;
      lower[i] = approx - slack;
      insertSorted(upperK, approx + slack, k);
    }
    if (upperK.length < k)
      throw new ArgumentError(`KnnMemory.search: only ${upperK.length} memory images of class ${cls}, fewer than k = ${k}`);
    const bound = upperK[k - 1];
    const cand: { i: number; d: number }[] = [];
    for (let i = 0; i < n; i++)
      if (lower[i] <= bound) cand.push({ i, d: exactSqDist(queries, q * this.dim, pixels, i * this.dim, this.dim) });
    cand.sort((a, b) => a.d - b.d || a.i - b.i);
    const best = cand.slice(0, k);
    return { index: best.map((c) => c.i), distance: best.map((c) => c.d) };
  }
}

function rowNorms(px: Uint8Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) s += px[j] * px[j];
    out[i] = s;
  }
  return out;
}

/** Keeps the k smallest values seen, ascending. */
function insertSorted(list: number[], v: number, k: number): void {
  if (list.length === k && v >= list[k - 1]) return;
  let p = list.length;
  while (p > 0 && list[p - 1] > v) p--;
  list.splice(p, 0, v);
  if (list.length > k) list.pop();
}
