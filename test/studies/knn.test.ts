// Exact k-NN (the native knnExact search, pruned by certified lower bounds) against a brute-force
// TypeScript reference on a 2k/500 MNIST subset, and the documented tie rules.
import { describe, expect, it } from 'vitest';

import { loadMnist } from '../../lib/data/mnist.js';
import { bruteForceNeighbours, knnClassify, vote } from '../../lib/models/knn.js';

const sorted = new Map<number, [number, number][]>();

/** Independent reference: all exact integer distances, full sort by (distance, index). */
function reference(train: { pixels: Uint8Array; labels: Int32Array; n: number }, q: Uint8Array, qi: number, k: number) {
  const d = sorted.get(qi) ?? sortedDistances(train, q, qi);
  sorted.set(qi, d);
  const nb = d.slice(0, k);
  const counts = new Array(10).fill(0);
  nb.forEach(([, i]) => counts[train.labels[i]]++);
  const max = Math.max(...counts);
  return { idx: nb.map(([, i]) => i), dist: nb.map(([s]) => s), label: counts.indexOf(max), fraction: max / k };
}

function sortedDistances(train: { pixels: Uint8Array; n: number }, q: Uint8Array, qi: number): [number, number][] {
  const d: [number, number][] = [];
  for (let i = 0; i < train.n; i++) {
    let s = 0;
    for (let j = 0; j < 784; j++) {
      const t = q[qi * 784 + j] - train.pixels[i * 784 + j];
      s += t * t;
    }
    d.push([s, i]);
  }
  d.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return d.slice(0, 10);
}

describe('exact k-NN', () => {
  const m = loadMnist({ trainLimit: 2000, testLimit: 500, device: 'cpu' });

  for (const k of [1, 3, 5]) {
    it(`k=${k} on 2k/500 equals the brute-force reference (neighbours, distances, votes)`, () => {
      const r = knnClassify(m.train, m.test, k);
      expect(r.projDim).toBe(64);
      let ok = 0;
      for (let qi = 0; qi < m.test.n; qi++) {
        const ref = reference(m.train, m.test.pixels, qi, k);
        expect(Array.from(r.neighbours.subarray(qi * k, qi * k + k))).toEqual(ref.idx);
        expect(Array.from(r.distances.subarray(qi * k, qi * k + k))).toEqual(ref.dist);
        expect(r.pred[qi]).toBe(ref.label);
        expect(r.voteFraction[qi]).toBeCloseTo(ref.fraction, 6);
        if (ref.label === m.test.labels[qi]) ok++;
      }
      console.log(`k=${k}: 2k/500 accuracy ${((100 * ok) / m.test.n).toFixed(1)}%`);
      expect(ok / m.test.n).toBeGreaterThan(0.8);
    });
  }

  it('the projection dimension changes nothing but the speed (exhaustive, 1, 8, 100 dimensions)', () => {
    const k = 3;
    const test = { pixels: m.test.pixels.subarray(0, 60 * 784), labels: m.test.labels.subarray(0, 60), n: 60 };
    const ref = knnClassify(m.train, test, k, { projDim: 0 });
    expect(ref.projDim).toBe(0);
    for (const projDim of [1, 8, 100]) {
      const r = knnClassify(m.train, test, k, { projDim });
      expect(Array.from(r.neighbours), `projDim ${projDim}`).toEqual(Array.from(ref.neighbours));
      expect(Array.from(r.distances)).toEqual(Array.from(ref.distances));
    }
    for (let qi = 0; qi < 60; qi++)
      expect(Array.from(ref.neighbours.subarray(qi * k, qi * k + k))).toEqual(
        bruteForceNeighbours(m.train, test.pixels, qi * 784, 784, k).idx,
      );
  });

  it('planted duplicates: a query equal to several train images gets them in index order', () => {
    // Train: the 2k subset with image 5 copied over indices 1500 and 40; queries: copies of image 5.
    const pixels = Uint8Array.from(m.train.pixels);
    pixels.copyWithin(1500 * 784, 5 * 784, 6 * 784);
    pixels.copyWithin(40 * 784, 5 * 784, 6 * 784);
    const labels = Int32Array.from(m.train.labels);
    labels[40] = 9;
    labels[1500] = 9;
    labels[5] = 2; // votes 2, 9, 9 -> 9 by majority
    const train = { pixels, labels, n: m.train.n };
    const q = { pixels: Uint8Array.from({ length: 2 * 784 }, (_, i) => pixels[5 * 784 + (i % 784)]), labels: new Int32Array(2), n: 2 };
    const r = knnClassify(train, q, 3);
    expect(Array.from(r.neighbours)).toEqual([5, 40, 1500, 5, 40, 1500]);
    expect(Array.from(r.distances)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(r.pred)).toEqual([9, 9]);
    expect(r.voteFraction[0]).toBeCloseTo(2 / 3);
  });

  it('bad input raises typed errors naming the sizes', () => {
    expect(() => knnClassify(m.train, m.test, 0)).toThrow(/k must be an integer in \[1, 2000\], got 0/);
    expect(() => knnClassify(m.train, { pixels: new Uint8Array(100), labels: new Int32Array(1), n: 1 }, 3)).toThrow(/784 bytes per image/);
  });

  it('ties: equal distances keep the lower train index; a vote tie goes to the smallest label', () => {
    // Train images 0..3: two copies of A (labels 7, 2), B (label 5), a far image (label 1).
    const A = new Uint8Array(4).fill(10),
      B = new Uint8Array(4).fill(12),
      far = new Uint8Array(4).fill(200);
    const pixels = new Uint8Array([...A, ...B, ...A, ...far]);
    const train = { pixels, labels: new Int32Array([7, 5, 2, 1]), n: 4 };
    const q = { pixels: new Uint8Array(A), labels: new Int32Array([0]), n: 1 };
    const r = knnClassify(train, q, 3);
    expect(r.projDim).toBe(2); // the default 64 capped at half the 4-byte rows
    expect(Array.from(r.neighbours)).toEqual([0, 2, 1]); // A (index 0), A (index 2), then B
    expect(r.pred[0]).toBe(2); // 7, 2, 5 each one vote: the smallest label
    expect(r.voteFraction[0]).toBeCloseTo(1 / 3);
    expect(vote([3, 3, 1, 1, 9], 10)).toEqual({ label: 1, fraction: 0.4 });
  });

  it('full MNIST, k=3: 97.05% test accuracy (what scikit-learn and faiss give with the same tie rule)', { timeout: 300_000 }, () => {
    const full = loadMnist({ device: 'cpu' });
    try {
      const t0 = performance.now();
      const r = knnClassify(full.train, full.test, 3);
      console.log(`k-NN full MNIST: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
      const ok = r.pred.reduce((s, p, i) => s + (p === full.test.labels[i] ? 1 : 0), 0);
      expect(ok).toBe(9705);
      // Spot-check exactness on a few queries against the JavaScript brute force over all 60k.
      for (const qi of [0, 4999, 9999]) {
        const ref = bruteForceNeighbours(full.train, full.test.pixels, qi * 784, 784, 3);
        expect(Array.from(r.neighbours.subarray(qi * 3, qi * 3 + 3))).toEqual(ref.idx);
        expect(Array.from(r.distances.subarray(qi * 3, qi * 3 + 3))).toEqual(ref.dist);
      }
    } finally {
      full.dispose();
    }
  });
});
