// Pieces the ensemble tests share: a small MLP with BatchNorm1d (and optionally dropout), and a
// scale-free comparison of two weight or gradient tensors.
import { nn, RandomGenerator } from '../../lib/index.js';

/** Flatten, Linear(784, hidden), BatchNorm1d, ReLU, [Dropout(p) seeded seed + seedOffset], Linear(hidden, 10). */
export function bnMlp(seed: number, hidden: number, dropout?: { p: number; seedOffset: number }): nn.Sequential {
  const g = new RandomGenerator(seed);
  return new nn.Sequential(
    new nn.Flatten(),
    new nn.Linear(784, hidden, { generator: g }),
    new nn.BatchNorm1d(hidden),
    new nn.ReLU(),
    ...(dropout ? [new nn.Dropout(dropout.p, new RandomGenerator(seed + dropout.seedOffset))] : []),
    new nn.Linear(hidden, 10, { generator: g }),
  );
}

/** Largest |a - b| relative to the tensor's largest |b| (scale-free across layers). */
export function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0,
    s = 1e-12;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}
