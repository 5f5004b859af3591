// The fused linear layer act(x @ w^T + bias): values against a float64 reference, gradients
// against finite differences, bit-identity with the separate ops (matmul, add, activation) it
// replaces, and the layers Sequential fuses.
import { describe, expect, it } from 'vitest';

import { ArgumentError, ShapeError } from '../../lib/core/errors.js';
import { backward, nn, ops, RandomGenerator, tensor, tidy } from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import {
  expectClose,
  expectGradClose,
  native,
  numericGrad,
  randomArray,
  sampleIndices,
  tensor as nativeTensor,
  testDevices,
  values,
  weightedSum,
} from '../support/native.js';

const ACTS = ['none', 'relu', 'sigmoid', 'tanh'] as const;
type Act = (typeof ACTS)[number];

const actRef: Record<Act, (z: number) => number> = {
  none: (z) => z,
  relu: (z) => Math.max(z, 0),
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  tanh: Math.tanh,
};

/** float64 act(x @ w^T + b) for x [n, k], w [m, k]. */
function linearRef(x: Float32Array, w: Float32Array, b: Float32Array | null, n: number, m: number, k: number, act: Act) {
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = b ? b[j] : 0;
      for (let p = 0; p < k; p++) s += x[i * k + p] * w[j * k + p];
      y[i * m + j] = actRef[act](s);
    }
  return y;
}

/** The separate ops the fused one replaces, as Linear then the activation layer ran them before. */
function unfused(x: Tensor, w: Tensor, b: Tensor | null, act: Act): Tensor {
  const z = ops.linear(x, w, b);
  return act === 'none' ? z : act === 'relu' ? ops.relu(z) : act === 'sigmoid' ? ops.sigmoid(z) : ops.tanh(z);
}

const bits = (t: Tensor | null) => new Int32Array((t!.data() as Float32Array).slice().buffer);

describe.each(testDevices())('linearAct on %s', (device) => {
  const [n, m, k] = [13, 11, 37];

  it.each(ACTS)('%s: values against a float64 reference, with and without bias', (act) => {
    const x = randomArray(n * k, 1, -1, 1),
      w = randomArray(m * k, 2, -0.5, 0.5),
      b = randomArray(m, 3, -1, 1);
    for (const withBias of [true, false]) {
      const y = native.linearAct(
        nativeTensor(x, [n, k], device),
        nativeTensor(w, [m, k], device),
        withBias ? nativeTensor(b, [m], device) : null,
        act,
      );
      expect(y.shape).toEqual([n, m]);
      expectClose(values(y), linearRef(x, w, withBias ? b : null, n, m, k, act), 1e-5, 2e-6 * k, `${act} bias=${withBias}`);
    }
  });

  it.each(ACTS)('%s: gradients of x, weight and bias against finite differences', (act) => {
    // Small sizes and a small step: a relu kink between x - h and x + h is then unlikely.
    const [rn, rm, rk] = [5, 4, 6];
    const x = randomArray(rn * rk, 11, -1, 1),
      w = randomArray(rm * rk, 12, -1, 1),
      b = randomArray(rm, 13, -1, 1),
      wts = randomArray(rn * rm, 14, -1, 1);
    const loss = (xv: Float32Array, wv: Float32Array, bv: Float32Array) =>
      weightedSum(
        values(
          native.linearAct(nativeTensor(xv, [rn, rk], device), nativeTensor(wv, [rm, rk], device), nativeTensor(bv, [rm], device), act),
        ),
        wts,
      );
    const tx = nativeTensor(x, [rn, rk], device),
      tw = nativeTensor(w, [rm, rk], device);
    const y = native.linearAct(tx, tw, nativeTensor(b, [rm], device), act);
    const [dx, dw, db] = native.linearActBackward(tx, tw, y, nativeTensor(wts, [rn, rm], device), act, true, true, true);
    const h = 1e-3;
    const all = (len: number) => sampleIndices(len, len, 0);
    const numeric = [
      numericGrad((v) => loss(v, w, b), Float32Array.from(x), h),
      numericGrad((v) => loss(x, v, b), Float32Array.from(w), h),
      numericGrad((v) => loss(x, w, v), Float32Array.from(b), h),
    ];
    [dx, dw, db].forEach((g, i) =>
      expectGradClose(values(g!), numeric[i], all(numeric[i].length), 2e-2, 2e-3, `${act} ${['dx', 'dw', 'db'][i]}`),
    );
  });

  it('returns only the gradients asked for, and accepts no y for act none', () => {
    const x = nativeTensor(randomArray(n * k, 21), [n, k], device),
      w = nativeTensor(randomArray(m * k, 22), [m, k], device),
      dy = nativeTensor(randomArray(n * m, 23), [n, m], device);
    const [dx, dw, db] = native.linearActBackward(x, w, null, dy, 'none', false, true, false);
    expect(dx).toBeNull();
    expect(db).toBeNull();
    expect(dw!.shape).toEqual([m, k]);
  });

  // The claim the layers rely on: the same bits as the separate ops, values and all three
  // gradients. It holds by construction (the same GEMM calls, the bias add and activation
  // computed by the same per-element functions, the bias gradient by the same reduction), so
  // any difference is a bug, not rounding.
  it.each(ACTS)('%s: bit for bit the separate matmul, add and activation, forward and backward', (act) => {
    const run = (fused: boolean) =>
      tidy(() => {
        const x = tensor(randomArray(n * k, 31, -2, 2), [n, k], { device, requiresGrad: true });
        const w = tensor(randomArray(m * k, 32, -1, 1), [m, k], { device, requiresGrad: true });
        const b = tensor(randomArray(m, 33, -1, 1), [m], { device, requiresGrad: true });
        const y = fused ? ops.linearAct(x, w, b, act) : unfused(x, w, b, act);
        // A non-uniform upstream gradient, so each element's gate and derivative matter.
        backward(ops.sum(ops.mul(y, tensor(randomArray(n * m, 34), [n, m], { device }))));
        return [bits(y), bits(x.grad), bits(w.grad), bits(b.grad)];
      });
    const [f, u] = [run(true), run(false)];
    ['y', 'dx', 'dweight', 'dbias'].forEach((name, i) => expect(f[i], `${act} ${name}`).toEqual(u[i]));
  });

  it('throws typed errors naming the shapes', () => {
    const x = nativeTensor(randomArray(n * k, 41), [n, k], device),
      w = nativeTensor(randomArray(m * (k + 1), 42), [m, k + 1], device),
      good = nativeTensor(randomArray(m * k, 43), [m, k], device);
    expect(() => native.linearAct(x, w, null, 'relu')).toThrow(ShapeError);
    expect(() => native.linearAct(x, w, null, 'relu')).toThrow(/\[13, 37\].*\[11, 38\]/);
    expect(() => native.linearAct(x, good, nativeTensor(randomArray(m + 1, 44), [m + 1], device), 'relu')).toThrow(ShapeError);
    expect(() => native.linearAct(x, good, null, 'gelu' as Act)).toThrow(ArgumentError);
    const dy = nativeTensor(randomArray(n * m, 45), [n, m], device);
    expect(() => native.linearActBackward(x, good, null, dy, 'sigmoid', true, true, true)).toThrow(ArgumentError);
    expect(() => native.linearActBackward(x, good, null, x, 'none', true, true, true)).toThrow(ShapeError);
  });
});

describe('Sequential fuses Linear with the activation after it', () => {
  const layers = (g: number) => {
    const gen = new RandomGenerator(g);
    return [
      new nn.Linear(20, 16, { generator: gen }),
      new nn.ReLU(),
      new nn.Linear(16, 12, { generator: gen }),
      new nn.Sigmoid(),
      new nn.Linear(12, 8, { generator: gen }),
      new nn.Tanh(),
      new nn.Linear(8, 3, { generator: gen }),
    ];
  };

  it('runs each Linear and activation as one op, with the bits of the layers run one by one', () => {
    const run = (fused: boolean) =>
      tidy(() => {
        const ls = layers(5);
        const model = new nn.Sequential(...ls);
        const x = tensor(randomArray(9 * 20, 51, -2, 2), [9, 20]);
        let y: Tensor;
        if (fused) {
          y = model.forward(x);
          expect(y.gradFn?.name).toBe('linear');
          expect(y.gradFn?.inputs[0].gradFn?.name).toBe('linear+tanh');
        } else {
          y = x;
          // Each layer alone (Linear.forward on rows is linearAct 'none'), then the activation op.
          for (const l of ls) y = l instanceof nn.Linear ? ops.linear(y, l.weight, l.bias) : l.forward(y);
        }
        backward(ops.sum(ops.mul(y, tensor(randomArray(9 * 3, 52), [9, 3]))));
        return [bits(y), ...model.parameters().map((p) => bits(p.grad))];
      });
    const [f, u] = [run(true), run(false)];
    expect(f.length).toBe(9);
    f.forEach((v, i) => expect(v, `output ${i}`).toEqual(u[i]));
  });

  it('leaves a hooked layer unfused, so its hook sees the linear output', () => {
    tidy(() => {
      const ls = layers(6);
      const model = new nn.Sequential(...ls);
      let seen: number[] | null = null;
      ls[0].hooks = {
        pre: [],
        post: [
          (_m, _in, out) => {
            seen = out.shape.slice();
            expect(out.gradFn?.name).toBe('linear');
          },
        ],
      };
      model.forward(tensor(randomArray(4 * 20, 53), [4, 20]));
      expect(seen).toEqual([4, 16]);
    });
  });
});
