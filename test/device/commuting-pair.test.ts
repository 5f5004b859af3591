// Sequential runs ReLU then MaxPool2d as MaxPool2d then ReLU (lib/nn/release.ts): the swap must be
// invisible, bit for bit, in values and in the input's gradient, on the inputs where the two orders
// could plausibly differ (ties, windows with no positive value, -0, NaN, padding).
import { describe, expect, it } from 'vitest';

import { backward, nn, ops, tensor, tidy } from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { randomArray, testDevices } from '../support/native.js';

/** An input [2, 3, 6, 6] with every awkward case present in some pooling window. */
function awkwardInput(): Float32Array {
  const v = randomArray(2 * 3 * 6 * 6, 11, -1, 1);
  for (let i = 0; i < v.length; i += 7) v[i] = 0.25; // ties between cells of one window
  for (let i = 0; i < 12; ++i) v[i] = -Math.abs(v[i]) - 0.01; // windows with only negatives
  v[40] = -0;
  v[41] = 0;
  v[42] = -0; // signed zeros
  v[77] = Number.NaN; // NaN propagates through both orders
  v[150] = 0;
  v[151] = -0.5;
  v[156] = -0.25;
  v[157] = 0; // a window whose maximum is exactly 0
  return v;
}

/** Output values and input gradient of `f` on the awkward input, under a fixed output weighting. */
function run(f: (x: Tensor) => Tensor, device: 'cpu' | 'cuda'): { y: Float32Array; g: Float32Array } {
  return tidy(() => {
    const x = tensor(awkwardInput(), [2, 3, 6, 6], { device, requiresGrad: true });
    const y = f(x);
    const w = tensor(randomArray(y.numel, 5), y.shape.slice(), { device });
    backward(ops.sum(ops.mul(y, w)));
    const out = { y: Float32Array.from(y.data()), g: Float32Array.from(x.grad!.data()) };
    x.grad!.dispose();
    return out;
  });
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe.each(testDevices())('ReLU then MaxPool2d in a Sequential, on %s', (device) => {
  for (const [label, kernel, opts] of [
    ['2x2, stride 2', 2, {}],
    ['3x3, stride 2, padding 1', 3, { stride: 2, padding: 1 }],
    ['3x3, stride 1 (overlapping windows)', 3, { stride: 1 }],
  ] as const) {
    it(`${label}: the same bits as relu then pool, values and gradients`, () => {
      const seq = new nn.Sequential(new nn.ReLU(), new nn.MaxPool2d(kernel, opts));
      const viaSequential = run((x) => seq.forward(x), device);
      const byHand = run((x) => ops.maxPool2d(ops.relu(x), kernel, opts), device);
      expect(bits(viaSequential.y)).toEqual(bits(byHand.y));
      expect(bits(viaSequential.g)).toEqual(bits(byHand.g));
      expect(viaSequential.y.some(Number.isNaN)).toBe(true); // the NaN reached the output
    });
  }

  it('relu gradients match torch: +0 through a closed gate, passed on at NaN, never NaN from an infinite dy', () => {
    const r = run((x) => ops.relu(x), device);
    expect(Number.isNaN(r.y[77])).toBe(true); // torch.relu(nan) is nan
    expect(r.g[77]).not.toBe(0); // torch's threshold_backward: nan <= 0 is false
    expect(bits(r.g.subarray(0, 12))).toEqual(new Array(12).fill(0)); // +0, not -0, at negative inputs
    const dx = tidy(() => {
      const x = tensor([-1, 2, 0], [3], { device, requiresGrad: true });
      backward(ops.sum(ops.mul(ops.relu(x), tensor([Infinity, -Infinity, Number.NaN], [3], { device }))));
      const g = Array.from(x.grad!.data());
      x.grad!.dispose();
      return g;
    });
    expect(dx).toEqual([0, -Infinity, 0]);
  });

  it('the swap only joins adjacent ReLU, MaxPool2d (MaxPool2d then ReLU is left as written)', () => {
    const seq = new nn.Sequential(new nn.MaxPool2d(2), new nn.ReLU(), new nn.MaxPool2d(1));
    const viaSequential = run((x) => seq.forward(x), device);
    const byHand = run((x) => ops.maxPool2d(ops.relu(ops.maxPool2d(x, 2)), 1), device);
    expect(bits(viaSequential.y)).toEqual(bits(byHand.y));
    expect(bits(viaSequential.g)).toEqual(bits(byHand.g));
  });
});

describe('registerCommutingPair', () => {
  it('runs a registered pair second-first, and only when the two are adjacent in that order', async () => {
    const { registerCommutingPair } = await import('../../lib/nn/release.js');
    const calls: string[] = [];
    class First extends nn.Module {
      forward(x: Tensor): Tensor {
        calls.push('first');
        return ops.mul(x, 2);
      }
    }
    class Second extends nn.Module {
      forward(x: Tensor): Tensor {
        calls.push('second');
        return ops.add(x, 1);
      }
    }
    registerCommutingPair(First.prototype.forward, Second.prototype.forward);
    tidy(() => new nn.Sequential(new First(), new Second(), new First()).forward(ops.zeros([1])));
    expect(calls).toEqual(['second', 'first', 'first']);
    calls.length = 0;
    tidy(() => new nn.Sequential(new Second(), new First()).forward(ops.zeros([1])));
    expect(calls).toEqual(['second', 'first']);
  });
});
