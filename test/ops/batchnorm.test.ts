import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError } from '../../lib/core/errors.js';
import { expectClose, grad, native, numel, randomArray, sampleIndices, tensor, testDevices, values } from '../support/op-test.js';

const EPS = 1e-5;

/** Plain float64 batch norm over axis 1 of x viewed as [n, c, hw]. */
function refStats(x: Float32Array, shape: number[]) {
  const n = shape[0],
    c = shape[1],
    hw = numel(shape.slice(2));
  const m = n * hw;
  const mean = new Float64Array(c),
    vr = new Float64Array(c);
  const at = (i: number, ch: number, j: number) => x[(i * c + ch) * hw + j];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < hw; j++) s += at(i, ch, j);
    mean[ch] = s / m;
    let q = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < hw; j++) q += (at(i, ch, j) - mean[ch]) ** 2;
    vr[ch] = q / m;
  }
  return { n, c, hw, m, mean, vr };
}

function refForward(x: Float32Array, shape: number[], g: Float32Array, b: Float32Array) {
  const st = refStats(x, shape);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const ch = Math.floor(i / st.hw) % st.c;
    y[i] = ((x[i] - st.mean[ch]) / Math.sqrt(st.vr[ch] + EPS)) * g[ch] + b[ch];
  }
  return { y, ...st };
}

function refBackward(x: Float32Array, dy: Float32Array, shape: number[], g: Float32Array) {
  const st = refStats(x, shape);
  const dgamma = new Float64Array(st.c),
    dbeta = new Float64Array(st.c);
  const xhat = (i: number, ch: number) => (x[i] - st.mean[ch]) / Math.sqrt(st.vr[ch] + EPS);
  for (let i = 0; i < x.length; i++) {
    const ch = Math.floor(i / st.hw) % st.c;
    dbeta[ch] += dy[i];
    dgamma[ch] += dy[i] * xhat(i, ch);
  }
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const ch = Math.floor(i / st.hw) % st.c;
    const k = g[ch] / Math.sqrt(st.vr[ch] + EPS) / st.m;
    dx[i] = k * (st.m * dy[i] - dbeta[ch] - xhat(i, ch) * dgamma[ch]);
  }
  return { dx, dgamma, dbeta };
}

// Small planes take the channel-band sums (per-position running sums); [2, 3, 130, 130] is past
// their L2 budget and takes the per-channel lanes.
const SHAPES = [
  [6, 5],
  [3, 4, 5, 3],
  [4, 3, 7],
  [2, 3, 1, 1],
  [16, 8, 13, 11],
  [40, 7, 2, 2],
  [2, 3, 130, 130],
];

describe.each(testDevices())('batch norm on %s', (device) => {
  const T = (a: Float32Array, s: number[]) => tensor(a, s, device);

  describe.each(SHAPES)('x %j', (...shape: number[]) => {
    const c = shape[1];
    const x = randomArray(numel(shape), 31, -2, 3);
    const g = randomArray(c, 32, 0.5, 1.5),
      b = randomArray(c, 33);
    const wr = randomArray(x.length, 34);

    it('train forward: output, saved statistics, running-stat update', () => {
      const rm0 = randomArray(c, 35),
        rv0 = randomArray(c, 36, 0.5, 2);
      const rm = T(rm0, [c]),
        rv = T(rv0, [c]);
      const [y, mean, invstd] = native.batchNormTrain(T(x, shape), T(g, [c]), T(b, [c]), rm, rv, 0.1, EPS);
      const ref = refForward(x, shape, g, b);
      expect(y.shape).toEqual(shape);
      expectClose(values(y), ref.y, 1e-4, 1e-5, 'y');
      expectClose(values(mean), ref.mean, 1e-5, 1e-6, 'saveMean');
      expectClose(
        values(invstd),
        Array.from(ref.vr, (v) => 1 / Math.sqrt(v + EPS)),
        1e-5,
        1e-6,
        'saveInvstd',
      );
      expectClose(
        values(rm),
        Array.from(rm0, (r, ch) => 0.9 * r + 0.1 * ref.mean[ch]),
        1e-5,
        1e-6,
        'runningMean',
      );
      const unbiased = (v: number) => (v * ref.m) / (ref.m - 1);
      expectClose(
        values(rv),
        Array.from(rv0, (r, ch) => 0.9 * r + 0.1 * unbiased(ref.vr[ch])),
        1e-5,
        1e-6,
        'runningVar',
      );
    });

    it('backward matches the reference and finite differences (x, gamma, beta)', () => {
      const [, mean, invstd] = native.batchNormTrain(T(x, shape), T(g, [c]), T(b, [c]), null, null, 0.1, EPS);
      const [dx, dg, db] = native.batchNormBackward(T(x, shape), T(wr, shape), T(g, [c]), mean, invstd).map(values);
      const ref = refBackward(x, wr, shape, g);
      expectClose(dx, ref.dx, 1e-3, 1e-4, 'dx');
      expectClose(dg, ref.dgamma, 1e-4, 1e-4, 'dgamma');
      expectClose(db, ref.dbeta, 1e-5, 1e-5, 'dbeta');
      const loss = (xv: Float32Array, gv: Float32Array, bv: Float32Array) =>
        grad.weightedSum(values(native.batchNormTrain(T(xv, shape), T(gv, [c]), T(bv, [c]), null, null, 0.1, EPS)[0]), wr);
      const si = sampleIndices(x.length, 24, 6);
      grad.expectClose(
        dx,
        grad.numeric((xv) => loss(xv, g, b), Float32Array.from(x), 1e-2, si),
        si,
        2e-2,
        2e-3,
        'dx numeric',
      );
      const ci = sampleIndices(c, 8, 7);
      grad.expectClose(
        dg,
        grad.numeric((gv) => loss(x, gv, b), Float32Array.from(g), 1e-2, ci),
        ci,
        1e-2,
        1e-3,
        'dgamma numeric',
      );
      grad.expectClose(
        db,
        grad.numeric((bv) => loss(x, g, bv), Float32Array.from(b), 1e-2, ci),
        ci,
        1e-2,
        1e-3,
        'dbeta numeric',
      );
    });

    it('eval forward uses the running statistics', () => {
      const rm = randomArray(c, 37),
        rv = randomArray(c, 38, 0.5, 2);
      const y = values(native.batchNormEval(T(x, shape), T(g, [c]), T(b, [c]), T(rm, [c]), T(rv, [c]), EPS));
      const hw = numel(shape.slice(2));
      const ref = Array.from(x, (v, i) => {
        const ch = Math.floor(i / hw) % c;
        return ((v - rm[ch]) / Math.sqrt(rv[ch] + EPS)) * g[ch] + b[ch];
      });
      expectClose(y, ref, 1e-5, 1e-5, 'y');
    });
  });

  it('null gamma/beta act as ones/zeros; null running buffers are skipped', () => {
    const shape = [4, 3, 5];
    const x = randomArray(60, 41);
    const [y] = native.batchNormTrain(T(x, shape), null, null, null, null, 0.1, EPS);
    expectClose(values(y), refForward(x, shape, new Float32Array(3).fill(1), new Float32Array(3)).y, 1e-4, 1e-5);
    const [, mean, invstd] = native.batchNormTrain(T(x, shape), null, null, null, null, 0.1, EPS);
    const wr = randomArray(60, 42);
    const [dx] = native.batchNormBackward(T(x, shape), T(wr, shape), null, mean, invstd);
    expectClose(values(dx), refBackward(x, wr, shape, new Float32Array(3).fill(1)).dx, 1e-3, 1e-4);
    const ev = native.batchNormEval(T(x, shape), null, null, T(new Float32Array(3), [3]), T(new Float32Array(3).fill(1), [3]), EPS);
    expectClose(
      values(ev),
      Array.from(x, (v) => v / Math.sqrt(1 + EPS)),
      1e-6,
      1e-7,
      'eval',
    );
  });

  it.each([
    [64, 2, 10, 10],
    [2, 2, 200, 200],
  ])('statistics stay accurate for a large mean and a tiny spread (%j)', (...shape: number[]) => {
    const x = Float32Array.from(randomArray(numel(shape), 51), (v) => 1000 + v * 0.01);
    const [, mean, invstd] = native.batchNormTrain(T(x, shape), null, null, null, null, 0.1, 1e-12);
    const ref = refStats(x, shape);
    expectClose(values(mean), ref.mean, 1e-7, 0, 'mean');
    expectClose(
      values(invstd),
      Array.from(ref.vr, (v) => 1 / Math.sqrt(v + 1e-12)),
      1e-4,
      0,
      'invstd',
    );
  });

  it('is deterministic', () => {
    const shape = [32, 16, 12, 12];
    const x = T(randomArray(numel(shape), 61), shape),
      dy = T(randomArray(numel(shape), 62), shape);
    const run = () => {
      const [y, m, s] = native.batchNormTrain(x, null, null, null, null, 0.1, EPS);
      return [y, m, s, ...native.batchNormBackward(x, dy, null, m, s)].map((t) => Buffer.from(values(t).buffer));
    };
    const a = run(),
      b = run();
    a.forEach((buf, i) => expect(buf.equals(b[i])).toBe(true));
  });

  it('rejects bad input with typed errors naming shapes', () => {
    const x = T(randomArray(24, 1), [2, 4, 3]);
    const c4 = T(randomArray(4, 2), [4]);
    expect(() => native.batchNormTrain(T(randomArray(4, 1), [1, 4]), null, null, null, null, 0.1, EPS)).toThrow(ShapeError);
    expect(() => native.batchNormTrain(T(randomArray(4, 1), [1, 4]), null, null, null, null, 0.1, EPS)).toThrow(
      /more than 1 value per channel.*\[1, 4\]/,
    );
    expect(() => native.batchNormTrain(x, T(randomArray(3, 1), [3]), null, null, null, 0.1, EPS)).toThrow(
      "batchNormTrain: 'gamma' must have shape [4] (one value per channel of x [2, 4, 3]), got [3]",
    );
    expect(() => native.batchNormTrain(x, c4, c4, T(randomArray(2, 1), [2, 1]), null, 0.1, EPS)).toThrow(
      /'runningMean' must have shape \[4\]/,
    );
    expect(() => native.batchNormTrain(x, c4, c4, null, null, 1.5, EPS)).toThrow(ArgumentError);
    expect(() => native.batchNormTrain(x, c4, c4, null, null, 0.1, 0)).toThrow(/'eps' must be a positive/);
    expect(() => native.batchNormTrain(T(randomArray(4, 1), [4]), null, null, null, null, 0.1, EPS)).toThrow(
      /at least 2 dimensions.*\[4\]/,
    );
    const ri = native.fromTypedArray(new Int32Array(4), [4], device);
    expect(() => native.batchNormTrain(x, c4, c4, ri, null, 0.1, EPS)).toThrow(DTypeError);
    expect(() => native.batchNormEval(x, c4, c4, null as never, c4, EPS)).toThrow(ArgumentError);
    expect(() => native.batchNormEval(x, c4, c4, c4, T(randomArray(5, 1), [5]), EPS)).toThrow(ShapeError);
    expect(() => native.batchNormBackward(x, T(randomArray(24, 1), [2, 12]), null, c4, c4)).toThrow(
      "batchNormBackward: 'dy' must have the shape of x [2, 4, 3], got [2, 12]",
    );
    expect(() => native.batchNormBackward(x, x, null, c4, T(randomArray(2, 1), [2]))).toThrow(/'saveInvstd' must have shape \[4\]/);
  });
});
