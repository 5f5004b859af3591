// Finite-difference gradient checks through the public API: f builds a scalar from tensors
// created from the given arrays; backward() gives the analytic gradients, central differences
// (in float64 over float32 evaluations) the numeric ones.
import { expect } from 'vitest';

import { backward, noGrad, tensor, tidy } from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { expectClose, sampleIndices } from './native.js';

export interface GradInput {
  data: Float32Array;
  shape: number[];
}

export function gradcheck(
  f: (xs: Tensor[]) => Tensor,
  inputs: GradInput[],
  opts: { h?: number; rtol?: number; atol?: number; samples?: number; label?: string } = {},
) {
  const h = opts.h ?? 1e-2,
    rtol = opts.rtol ?? 2e-2,
    atol = opts.atol ?? 2e-3;
  const analytic = tidy(() => {
    const xs = inputs.map((i) => tensor(i.data.slice(), i.shape, { requiresGrad: true }));
    const y = f(xs);
    expect(y.numel).toBe(1);
    backward(y);
    return xs.map((x) => Float32Array.from(x.grad!.data() as Float32Array));
  });
  const evalAt = () => tidy(() => noGrad(() => f(inputs.map((i) => tensor(i.data, i.shape))).item()));
  inputs.forEach((inp, k) => {
    const idx = sampleIndices(inp.data.length, opts.samples ?? 24, 1234 + k);
    const num: number[] = [],
      ana: number[] = [];
    for (const i of idx) {
      const orig = inp.data[i];
      inp.data[i] = orig + h;
      const fp = evalAt();
      inp.data[i] = orig - h;
      const fm = evalAt();
      inp.data[i] = orig;
      num.push((fp - fm) / (2 * h));
      ana.push(analytic[k][i]);
    }
    expectClose(ana, num, rtol, atol, `${opts.label ?? 'gradcheck'} input ${k}`);
  });
}
