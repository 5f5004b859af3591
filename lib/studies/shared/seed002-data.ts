// The synthetic data of seed 002: the 1-D linear regression set and the two Gaussian clusters,
// drawn from nnlab's seeded generators so a run is a pure function of its seed.
import { ArgumentError, RandomGenerator, normal, randperm, tensor, Tensor, uniform } from '../../index.js';

export interface LinregData {
  x: Float32Array;
  y: Float32Array;
}

/** y = m*x + N(0, noise^2) with x uniform in [xMin, xMax] (the report: [0, 50], noise 5). */
export function linregData(n: number, m: number, noise: number, range: [number, number], seed: number): LinregData {
  if (!(Number.isInteger(n) && n > 0)) throw new ArgumentError(`linregData: n must be a positive integer, got ${n}`);
  const g = new RandomGenerator(seed);
  const xs = uniform([n], range[0], range[1], { generator: g });
  const eps = normal([n], 0, noise, { generator: g });
  const x = xs.data() as Float32Array,
    e = eps.data() as Float32Array;
  xs.dispose();
  eps.dispose();
  return { x, y: x.map((v, i) => m * v + e[i]) };
}

export interface Standardised {
  values: Float32Array;
  mean: number;
  std: number;
}

/** (v - mean) / std with the population std, so a standardised slope is a correlation. */
export function standardise(v: Float32Array): Standardised {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  if (!(std > 0)) throw new ArgumentError(`standardise: the ${v.length} values are all equal (${mean}); nothing to scale`);
  return { values: v.map((x) => (x - mean) / std), mean, std };
}

export interface ClusterSplit {
  /** [N, 2] points. */
  x: Tensor;
  /** [N, 1] targets: 1 for the first cluster (the report's positive class), 0 for the second. */
  y: Tensor;
}

export interface ClusterData {
  train: ClusterSplit;
  test: ClusterSplit;
}

export interface ClusterSpec {
  centres: [[number, number], [number, number]];
  perCluster: number;
  std: number;
  testFraction: number;
}

/** The report's binary task: two isotropic Gaussian clusters, shuffled, then split train/test. */
export function twoClusters(spec: ClusterSpec, seed: number): ClusterData {
  const { centres, perCluster: k, std, testFraction } = spec;
  if (!(testFraction > 0 && testFraction < 1)) throw new ArgumentError(`twoClusters: testFraction must be in (0, 1), got ${testFraction}`);
  const g = new RandomGenerator(seed);
  const noise = normal([2 * k, 2], 0, std, { generator: g });
  const e = noise.data() as Float32Array;
  noise.dispose();
  const perm = randperm(2 * k, { generator: g });
  const order = perm.data() as Int32Array;
  perm.dispose();
  const n = 2 * k,
    xs = new Float32Array(n * 2),
    ys = new Float32Array(n);
  order.forEach((src, dst) => {
    const c = src < k ? 0 : 1;
    xs[2 * dst] = centres[c][0] + e[2 * src];
    xs[2 * dst + 1] = centres[c][1] + e[2 * src + 1];
    ys[dst] = c === 0 ? 1 : 0;
  });
  const nTest = Math.round(n * testFraction),
    nTrain = n - nTest;
  const part = (lo: number, hi: number): ClusterSplit => ({
    x: tensor(xs.slice(2 * lo, 2 * hi), [hi - lo, 2]),
    y: tensor(ys.slice(lo, hi), [hi - lo, 1]),
  });
  return { train: part(0, nTrain), test: part(nTrain, n) };
}

export function disposeClusters(d: ClusterData): void {
  for (const s of [d.train, d.test]) {
    s.x.dispose();
    s.y.dispose();
  }
}
