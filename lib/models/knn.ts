// Exact k-nearest-neighbour classification of MNIST-like byte images.
//
// The search is the native knnExact op: exact integer squared distances on the raw pixels, with
// the CPU backend skipping train images whose distance is PROVABLY larger than the current k-th
// (lower bounds from a projDim-dimensional principal projection, with certified rounding-error
// margins; see native/cpu/knn/knn_exact.cpp). The result is the exhaustive search's, ties included.
//
// Tie rules (deterministic, documented in every run's config):
//   - neighbours: equal distances are ordered by the lower train index;
//   - vote: the class with the most of the k votes; a tie between classes goes to the smallest
//     label among the tied classes (what scikit-learn's KNeighborsClassifier does).
// The vote fraction (votes of the predicted class / k) is the k-NN's confidence m(x).
import { ArgumentError, ShapeError } from '../core/errors.js';
import { tensor } from '../core/ops/creation.js';
import { knnExact } from '../core/ops/knn.js';

export const KNN_TIE_RULES = {
  neighbours: 'equal distances: the lower train index first',
  vote: 'most votes among the k; a tie between classes goes to the smallest tied label',
} as const;

export interface ByteImages {
  /** Row-major uint8 pixels [n, dim]. */
  pixels: Uint8Array;
  labels: Int32Array;
  n: number;
}

export interface KnnResult {
  k: number;
  /** Train indices of the k neighbours of each query, nearest first: [m, k]. */
  neighbours: Int32Array;
  /** Exact squared distances in pixel units (0..255 per pixel): [m, k]. */
  distances: Int32Array;
  pred: Int32Array;
  /** Fraction of the k neighbours voting for the predicted class. */
  voteFraction: Float32Array;
  /** Dimension of the pruning projection asked for (0: exhaustive search). */
  projDim: number;
}

/** Projection dimension the CPU search prunes with by default (fastest on MNIST here). */
export const KNN_DEFAULT_PROJ_DIM = 64;

export interface KnnOptions {
  /**
   * Dimension of the principal projection whose lower bounds prune the search (default
   * KNN_DEFAULT_PROJ_DIM, capped at half the row length; 0: exhaustive). Only the speed depends on it.
   */
  projDim?: number;
  classes?: number;
  /** Called once the search is done (a single native call does all queries). */
  onProgress?: (done: number, total: number) => void;
}

/** Exact squared distance of two byte rows. */
export function exactSqDist(a: Uint8Array, ao: number, b: Uint8Array, bo: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const d = a[ao + j] - b[bo + j];
    s += d * d;
  }
  return s;
}

/** k nearest of one query by exhaustive exact search in JavaScript: the tests' reference. */
export function bruteForceNeighbours(
  train: ByteImages,
  query: Uint8Array,
  qo: number,
  dim: number,
  k: number,
): { idx: number[]; dist: number[] } {
  const best: { i: number; d: number }[] = [];
  for (let i = 0; i < train.n; i++) {
    const d = exactSqDist(query, qo, train.pixels, i * dim, dim);
    if (best.length === k && d >= best[k - 1].d) continue; // ties keep the lower index already in
    let p = best.length;
    while (p > 0 && best[p - 1].d > d) p--;
    best.splice(p, 0, { i, d });
    if (best.length > k) best.pop();
  }
  return { idx: best.map((b) => b.i), dist: best.map((b) => b.d) };
}

/** The vote of k neighbour labels with the documented tie rule. */
export function vote(labels: ArrayLike<number>, classes: number): { label: number; fraction: number } {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  let label = 0;
  for (let c = 1; c < classes; c++) if (counts[c] > counts[label]) label = c; // strict: smallest label wins ties
  return { label, fraction: counts[label] / labels.length };
}

export function knnClassify(train: ByteImages, test: ByteImages, k: number, o: KnnOptions = {}): KnnResult {
  if (!(Number.isInteger(k) && k >= 1 && k <= train.n)) throw new ArgumentError(`k-NN: k must be an integer in [1, ${train.n}], got ${k}`);
  const dim = train.n > 0 ? train.pixels.length / train.n : 0;
  if (!Number.isInteger(dim) || test.pixels.length !== test.n * dim)
    throw new ShapeError(
      `k-NN: train holds ${train.pixels.length} bytes for ${train.n} images, test ${test.pixels.length} for ${test.n}; expected ${dim} bytes per image in both`,
    );
  if (train.labels.length !== train.n) throw new ShapeError(`k-NN: ${train.labels.length} train labels for ${train.n} train images`);
  const classes = o.classes ?? 10;
  const projDim = Math.max(0, Math.min(o.projDim ?? KNN_DEFAULT_PROJ_DIM, Math.floor(dim / 2)));
  const m = test.n;
  const tr = tensor(train.pixels, [train.n, dim]);
  const te = tensor(test.pixels, [m, dim]);
  let neighbours: Int32Array, distances: Int32Array;
  try {
    const [ix, d] = knnExact(tr, te, k, projDim);
    neighbours = ix.data() as Int32Array;
    distances = d.data() as Int32Array;
    ix.dispose();
    d.dispose();
  } finally {
    tr.dispose();
    te.dispose();
  }
  const pred = new Int32Array(m),
    voteFraction = new Float32Array(m);
  const votes = new Int32Array(k);
  for (let q = 0; q < m; q++) {
    for (let j = 0; j < k; j++) votes[j] = train.labels[neighbours[q * k + j]];
    const v = vote(votes, classes);
    pred[q] = v.label;
    voteFraction[q] = v.fraction;
  }
  o.onProgress?.(m, m);
  return { k, neighbours, distances, pred, voteFraction, projDim };
}
