// Exact k-nearest-neighbour classification of MNIST-like byte images.
//
// Speed: the native pairwiseSqDist (one GEMM per block of queries) and topk pick, for each query,
// `k + margin` candidates by float32 distance. Exactness: the candidates' distances are then
// recomputed exactly in integer pixel units, and a rounding-error bound certifies that no
// non-candidate can be nearer than the k-th exact neighbour; a query that fails the certificate
// (never seen on MNIST, but possible) is searched exhaustively in exact arithmetic.
//
// Tie rules (deterministic, documented in every run's config):
//   - neighbours: equal distances are ordered by the lower train index;
//   - vote: the class with the most of the k votes; a tie between classes goes to the smallest
//     label among the tied classes (what scikit-learn's KNeighborsClassifier does).
// The vote fraction (votes of the predicted class / k) is the k-NN's confidence m(x).
import { ArgumentError, ShapeError } from '../errors.js';
import { native, tensor, tidy } from '../index.js';

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
  distances: Float64Array;
  pred: Int32Array;
  /** Fraction of the k neighbours voting for the predicted class. */
  voteFraction: Float32Array;
  /** Queries whose float32 shortlist could not be certified and were searched exhaustively. */
  exhaustive: number;
}

export interface KnnOptions {
  /** Extra float32 candidates per query beyond k (default 16). */
  margin?: number;
  /** Queries per distance block (memory: block x n x 4 bytes). */
  block?: number;
  classes?: number;
  onProgress?: (done: number, total: number) => void;
}

function exactSqDist(a: Uint8Array, ao: number, b: Uint8Array, bo: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const d = a[ao + j] - b[bo + j];
    s += d * d;
  }
  return s;
}

/** k nearest of one query by exhaustive exact search (the reference and the fallback). */
export function bruteForceNeighbours(train: ByteImages, query: Uint8Array, qo: number, dim: number, k: number): { idx: number[]; dist: number[] } {
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

const toUnitRows = (px: Uint8Array, lo: number, hi: number, dim: number) => {
  const f = new Float32Array((hi - lo) * dim);
  for (let i = 0; i < f.length; i++) f[i] = px[lo * dim + i] / 255;
  return f;
};

export function knnClassify(train: ByteImages, test: ByteImages, k: number, o: KnnOptions = {}): KnnResult {
  if (!(Number.isInteger(k) && k >= 1 && k <= train.n)) throw new ArgumentError(`k-NN: k must be an integer in [1, ${train.n}], got ${k}`);
  const dim = train.pixels.length / train.n;
  if (!Number.isInteger(dim) || test.pixels.length !== test.n * dim)
    throw new ShapeError(`k-NN: train holds ${train.pixels.length} bytes for ${train.n} images, test ${test.pixels.length} for ${test.n}`);
  const classes = o.classes ?? 10;
  const cand = Math.min(train.n, k + (o.margin ?? 16));
  const block = o.block ?? 256;
  const m = test.n;
  const res: KnnResult = {
    k, neighbours: new Int32Array(m * k), distances: new Float64Array(m * k), pred: new Int32Array(m),
    voteFraction: new Float32Array(m), exhaustive: 0,
  };
  // Error bound of a float32 distance (dot products of length dim, then two additions), in unit
  // pixel scale: |fl(d) - d| <= (gamma_dim + 3u)(|a| + |b|)^2 with u = 2^-24; doubled for margin.
  const u = 2 ** -24, gamma = (dim * u) / (1 - dim * u);
  const norm = (px: Uint8Array, i: number) => {
    let s = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) s += px[j] * px[j];
    return Math.sqrt(s) / 255;
  };
  let maxTrainNorm = 0;
  for (let i = 0; i < train.n; i++) maxTrainNorm = Math.max(maxTrainNorm, norm(train.pixels, i));
  const trainT = tensor(toUnitRows(train.pixels, 0, train.n, dim), [train.n, dim]);
  try {
    for (let lo = 0; lo < m; lo += block) {
      const hi = Math.min(m, lo + block);
      const [vals, idxs] = tidy(() => {
        const q = tensor(toUnitRows(test.pixels, lo, hi, dim), [hi - lo, dim]);
        const d = native.pairwiseSqDist(q.handle, trainT.handle);
        const [v, ix] = native.topk(d, cand, false);
        const out = [native.toTypedArray(v) as Float32Array, native.toTypedArray(ix) as Int32Array] as const;
        [d, v, ix].forEach((t) => t.dispose());
        return out;
      });
      for (let r = 0; r < hi - lo; r++) {
        const qi = lo + r;
        const c: { i: number; d: number }[] = [];
        for (let j = 0; j < cand; j++) {
          const ti = idxs[r * cand + j];
          c.push({ i: ti, d: exactSqDist(test.pixels, qi * dim, train.pixels, ti * dim, dim) });
        }
        c.sort((a, b) => a.d - b.d || a.i - b.i);
        let chosen = c.slice(0, k);
        const tol = 2 * (gamma + 3 * u) * (norm(test.pixels, qi) + maxTrainNorm) ** 2;
        const worstShortlisted = vals[r * cand + cand - 1]; // every non-candidate is at least this far (float32)
        const kthExact = chosen[k - 1].d / (255 * 255);
        if (cand < train.n && !(worstShortlisted - tol > kthExact)) {
          const b = bruteForceNeighbours(train, test.pixels, qi * dim, dim, k);
          chosen = b.idx.map((i, j) => ({ i, d: b.dist[j] }));
          res.exhaustive++;
        }
        chosen.forEach((e, j) => { res.neighbours[qi * k + j] = e.i; res.distances[qi * k + j] = e.d; });
        const v = vote(chosen.map((e) => train.labels[e.i]), classes);
        res.pred[qi] = v.label;
        res.voteFraction[qi] = v.fraction;
      }
      o.onProgress?.(hi, m);
    }
  } finally {
    trainT.dispose();
  }
  return res;
}
