// Every op of the TypeScript API: gradients by central finite differences through backward().
import { describe, expect, it } from 'vitest';

import { backward, noGrad, ops, tensor, tidy, nn } from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { gradcheck } from '../support/gradcheck.js';
import { randomArray, randomInts, testDevices } from '../support/native.js';

const R = (shape: number[], seed: number, lo = -1, hi = 1) => ({
  data: randomArray(
    shape.reduce((a, b) => a * b, 1),
    seed,
    lo,
    hi,
  ),
  shape,
});
// A fixed random weighting turns any output into a scalar whose gradient is that weighting.
const wsum = (y: Tensor, seed = 99) => ops.sum(ops.mul(y, tensor(randomArray(y.numel, seed), y.shape.slice(), { device: y.device })));

describe.each(testDevices())('autograd on %s', (device) => {
  const on = (xs: Tensor[]) => xs.map((x) => ops.to(x, device));
  // A function of the inputs as gradcheck hands them over (on the CPU), run on this device.
  const onDevice = (f: (...ts: Tensor[]) => Tensor) => (xs: Tensor[]) => f(...on(xs));

  it('broadcasting arithmetic', () => {
    gradcheck(
      onDevice((a, b) => wsum(ops.add(ops.mul(a, b), ops.div(a, ops.add(ops.square(b), 1))))),
      [R([3, 1, 5], 1), R([4, 1], 2)],
      { label: 'mul/div/add' },
    );
    gradcheck(
      onDevice((a, b) => wsum(ops.sub(ops.pow(ops.add(ops.abs(a), 0.5), b), ops.maximum(a, b)))),
      [R([2, 3], 3), R([3], 4, 0.5, 2)],
      { label: 'pow/maximum' },
    );
    gradcheck(
      onDevice((a, b) => wsum(ops.where(ops.gt(a, 0), a, ops.mul(b, 3)))),
      [R([4, 3], 5), R([4, 3], 6)],
      { label: 'where' },
    );
  });

  it('unary activations', () => {
    for (const f of [
      ops.relu,
      ops.sigmoid,
      ops.tanh,
      ops.exp,
      ops.gelu,
      ops.softplus,
      (x: Tensor) => ops.leakyRelu(x, 0.1),
      (x: Tensor) => ops.clamp(x, -0.5, 0.5),
    ]) {
      gradcheck((xs) => wsum(f(on(xs)[0])), [R([5, 7], 7)], { label: f.name });
    }
    gradcheck((xs) => wsum(ops.log(ops.sqrt(on(xs)[0]))), [R([9], 8, 0.5, 2)], { label: 'log/sqrt' });
  });

  it('matmul, linear and batched matmul', () => {
    gradcheck(
      onDevice((a, b) => wsum(ops.matmul(a, b))),
      [R([3, 5], 1), R([5, 4], 2)],
    );
    gradcheck(
      onDevice((a, b) => wsum(ops.matmul(a, b))),
      [R([2, 3, 5], 3), R([5, 4], 4)],
      { label: 'shared rhs' },
    );
    gradcheck(
      onDevice((x, w, b) => wsum(ops.linear(x, w, b))),
      [R([6, 5], 5), R([3, 5], 6), R([3], 7)],
      { label: 'linear' },
    );
  });

  it('layout ops', () => {
    gradcheck((xs) => wsum(ops.permute(on(xs)[0], [2, 0, 1])), [R([2, 3, 4], 1)]);
    gradcheck((xs) => wsum(ops.slice(on(xs)[0], 1, 1, 6, 2)), [R([3, 7], 2)], { label: 'slice' });
    gradcheck(
      onDevice((a, b) => wsum(ops.concat([a, b], 1))),
      [R([2, 3], 3), R([2, 5], 4)],
      { label: 'concat' },
    );
    gradcheck(
      onDevice((a, b) => wsum(ops.stack([a, b], 0))),
      [R([2, 3], 5), R([2, 3], 6)],
      { label: 'stack' },
    );
    gradcheck((xs) => wsum(ops.expand(on(xs)[0], [4, 3, 2])), [R([3, 1], 7)], { label: 'expand' });
    gradcheck((xs) => wsum(ops.indexSelect(on(xs)[0], 0, [2, 0, 2, 1])), [R([3, 4], 8)], { label: 'indexSelect' });
    gradcheck((xs) => wsum(ops.gather(on(xs)[0], 1, tensor(Int32Array.from([0, 2, 1, 1, 0, 0]), [3, 2], { device }))), [R([3, 3], 9)], {
      label: 'gather',
    });
  });

  it('reductions', () => {
    gradcheck((xs) => wsum(ops.sum(on(xs)[0], [0, 2], true)), [R([3, 4, 5], 1)], { label: 'sum' });
    gradcheck((xs) => wsum(ops.mean(on(xs)[0], 1)), [R([3, 4, 5], 2)], { label: 'mean' });
    gradcheck((xs) => wsum(ops.max(on(xs)[0], 1)), [R([4, 6], 3)], { label: 'max' });
    gradcheck((xs) => wsum(ops.min(on(xs)[0], 0, true)), [R([4, 6], 4)], { label: 'min' });
  });

  it('convolution, pooling and batch norm', () => {
    gradcheck(
      onDevice((x, w, b) => wsum(ops.conv2d(x, w, b, { stride: 2, padding: 1 }))),
      [R([2, 3, 7, 6], 1), R([4, 3, 3, 3], 2), R([4], 3)],
      { label: 'conv2d' },
    );
    gradcheck((xs) => wsum(ops.maxPool2d(on(xs)[0], 2)), [R([2, 3, 6, 5], 4)], { label: 'maxPool2d' });
    // A weight moves every window's values: steps of 1e-2 change which cell wins in some of them.
    gradcheck(
      onDevice((x, w, b) => wsum(ops.conv2dMaxPool2d(x, w, b, { padding: 1, groups: 2 }, 2))),
      [R([2, 4, 7, 6], 13), R([6, 2, 3, 3], 14), R([6], 15)],
      { label: 'conv2dMaxPool2d', h: 1e-3 },
    );
    gradcheck((xs) => wsum(ops.avgPool2d(on(xs)[0], 3, { stride: 2, padding: 1 })), [R([2, 2, 7, 7], 5)], { label: 'avgPool2d' });
    gradcheck((xs) => wsum(ops.adaptiveAvgPool2d(on(xs)[0], [2, 3])), [R([1, 2, 5, 7], 6)], { label: 'adaptiveAvgPool2d' });
    gradcheck(
      onDevice((x, g, b) => wsum(ops.batchNorm(x, null, null, g, b, { training: true }))),
      [R([4, 3, 2, 2], 7), R([3], 8), R([3], 9)],
      { label: 'batchNorm train' },
    );
    gradcheck(
      (xs) => {
        const [x, g, b] = on(xs);
        const rm = tensor([0.1, -0.2, 0.3], { device }),
          rv = tensor([1.5, 0.5, 2], { device });
        return wsum(ops.batchNorm(x, rm, rv, g, b, { training: false }));
      },
      [R([4, 3], 10), R([3], 11), R([3], 12)],
      { label: 'batchNorm eval' },
    );
  });

  it('softmax family and losses', () => {
    const labels = (n: number, c: number, s: number) => tensor(randomInts(n, s, c), [n], { device });
    gradcheck((xs) => wsum(ops.softmax(on(xs)[0], 1)), [R([4, 5], 1)], { label: 'softmax' });
    gradcheck((xs) => wsum(ops.logSoftmax(on(xs)[0], -1)), [R([4, 5], 2)], { label: 'logSoftmax' });
    gradcheck((xs) => ops.crossEntropy(on(xs)[0], labels(6, 5, 3)), [R([6, 5], 3, -3, 3)], { label: 'crossEntropy' });
    gradcheck((xs) => ops.crossEntropy(on(xs)[0], labels(6, 5, 4), { labelSmoothing: 0.1, reduction: 'sum' }), [R([6, 5], 4)], {
      label: 'crossEntropy smoothing',
    });
    gradcheck((xs) => ops.nllLoss(ops.logSoftmax(on(xs)[0], 1), labels(6, 5, 5)), [R([6, 5], 5)], { label: 'nll' });
    gradcheck(
      onDevice((a, b) => nn.mseLoss(a, b)),
      [R([3, 4], 6), R([3, 4], 7)],
      { label: 'mse' },
    );
    gradcheck(
      onDevice((a, b) => nn.mseLoss(a, b, 'sum')),
      [R([2, 5], 16), R([2, 5], 17)],
      { label: 'mse sum' },
    );
    gradcheck(
      onDevice((a, b) => ops.sum(ops.mul(nn.mseLoss(a, b, 'none'), a))),
      [R([4, 3], 18), R([4, 3], 19)],
      { label: 'mse none' },
    );
    gradcheck(
      onDevice((a, b) => nn.bceLoss(ops.sigmoid(a), b)),
      [R([3, 4], 8), R([3, 4], 9, 0, 1)],
      { label: 'bce' },
    );
  });

  it('dropout gradient follows its mask', () => {
    tidy(() => {
      const x = tensor(randomArray(1000, 1), [1000], { requiresGrad: true, device });
      const y = ops.dropout(x, 0.3, true);
      backward(ops.sum(y));
      const yv = y.data(),
        gv = x.grad!.data();
      let kept = 0;
      for (let i = 0; i < 1000; i++) {
        expect(gv[i]).toBeCloseTo(yv[i] === 0 ? 0 : 1 / 0.7, 5);
        if (yv[i] !== 0) kept++;
      }
      expect(kept).toBeGreaterThan(600);
      expect(kept).toBeLessThan(800);
    });
  });
});

describe('autograd engine', () => {
  it('accumulates gradients across backward calls and zeroGrad clears them', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    // backward runs inside the scope: the graph's saved tensors live until the scope ends.
    tidy(() => backward(ops.sum(ops.mul(x, 2))));
    tidy(() => backward(ops.sum(ops.mul(x, 3))));
    expect(Array.from(x.grad!.data())).toEqual([5, 5, 5]);
    x.grad!.dispose();
    x.grad = null;
    expect(x.grad).toBeNull();
  });

  it('gives each leaf a gradient in storage of its own, also when gradients are passed on unchanged', () => {
    const a = tensor([1, 2, 3, 4], { requiresGrad: true });
    const b = tensor([5, 6, 7, 8], { requiresGrad: true });
    const c = tensor([1, 1, 1, 1], [2, 2], { requiresGrad: true });
    const w = tensor([1, -2, 3, -4]);
    const root = tensor([0], { requiresGrad: true });
    const caller = tensor([2]);
    tidy(() => {
      // add passes its gradient to a and b as one tensor; c gets a reshape of it while the
      // reshape's base is still held for a and b; root's gradient is the caller's tensor.
      const s = ops.mul(ops.add(ops.add(a, b), ops.reshape(c, [4])), w);
      backward(ops.sum(s));
      backward(root, caller);
    });
    expect(Array.from(a.grad!.data())).toEqual([1, -2, 3, -4]);
    expect(Array.from(b.grad!.data())).toEqual([1, -2, 3, -4]);
    expect(Array.from(c.grad!.data())).toEqual([1, -2, 3, -4]);
    expect(a.grad!.handle.sharesStorageWith(b.grad!.handle)).toBe(false);
    expect(a.grad!.handle.sharesStorageWith(c.grad!.handle)).toBe(false);
    expect(b.grad!.handle.sharesStorageWith(c.grad!.handle)).toBe(false);
    expect(root.grad!.handle.sharesStorageWith(caller.handle)).toBe(false);
    expect(caller.disposed).toBe(false);
  });

  it('gives gradients with respect to inputs (as attacks need)', () => {
    const lin = new nn.Linear(4, 3);
    const x = tensor(randomArray(8, 3), [2, 4], { requiresGrad: true });
    const loss = ops.crossEntropy(lin.forward(x), tensor(Int32Array.from([0, 2]), [2]));
    backward(loss);
    expect(x.grad!.shape).toEqual([2, 4]);
    expect(Array.from(x.grad!.data()).some((v) => v !== 0)).toBe(true);
  });

  it('noGrad records nothing; backward on a tensor without graph is a typed error', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => ops.mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(() => backward(ops.sum(y))).toThrow(/does not require gradients/);
    expect(() => backward(ops.mul(x, 2))).toThrow(/shape \[2\]/);
  });

  it('tidy disposes intermediates and keeps what it returns', () => {
    let inner: Tensor | undefined;
    const out = tidy(() => {
      inner = ops.mul(tensor([1, 2]), 3);
      return ops.add(inner, 1);
    });
    expect(inner!.disposed).toBe(true);
    expect(out.disposed).toBe(false);
    expect(Array.from(out.data())).toEqual([4, 7]);
  });
});
