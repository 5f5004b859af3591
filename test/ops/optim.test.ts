import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError } from '../../lib/core/errors.js';
import { expectClose, native, randomArray, tensor, testDevices, values } from '../support/native.js';
import type { NativeTensor } from '../support/native.js';
import type { AdamStepOptions, SgdStepOptions } from '../../lib/core/ops/optim.js';

const f = Math.fround;

// The reference steps take the options of lib/core/ops/optim.ts (the step count and first-step
// flag are passed apart).
type SgdCfg = Omit<SgdStepOptions, 'firstStep'>;
type AdamCfg = Omit<AdamStepOptions, 'step'>;

function sgdRef(p: Float32Array, g: Float32Array, buf: Float32Array, c: SgdCfg, first: boolean) {
  const lr = f(c.lr),
    mom = f(c.momentum),
    damp = f(c.dampening),
    wd = f(c.weightDecay);
  for (let i = 0; i < p.length; i++) {
    let d = wd !== 0 ? f(g[i] + f(wd * p[i])) : g[i];
    if (mom !== 0) {
      buf[i] = first ? d : f(f(mom * buf[i]) + f(f(1 - damp) * d));
      d = c.nesterov ? f(d + f(mom * buf[i])) : buf[i];
    }
    p[i] = f(p[i] - f(lr * d));
  }
}

/** torch.optim.Adam / AdamW (1.13) on float32 values; bias corrections in double as in Python. */
function adamRef(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamCfg, step: number) {
  const b1 = f(c.beta1),
    b2 = f(c.beta2),
    lr = f(c.lr),
    wd = f(c.weightDecay),
    eps = f(c.eps);
  const stepSize = f(lr / (1 - b1 ** step));
  const bc2 = f(Math.sqrt(1 - b2 ** step));
  for (let i = 0; i < p.length; i++) {
    let gi = g[i];
    if (c.decoupled) {
      p[i] = f(p[i] * f(1 - f(lr * wd)));
      m[i] = f(m[i] + f(f(1 - b1) * f(gi - m[i])));
    } else {
      if (wd !== 0) gi = f(gi + f(wd * p[i]));
      m[i] = f(f(m[i] * b1) + f(f(1 - b1) * gi));
    }
    v[i] = f(f(v[i] * b2) + f(f(f(1 - b2) * gi) * gi));
    const denom = f(f(Math.sqrt(v[i]) / bc2) + eps);
    p[i] = f(p[i] + f(f(-stepSize * m[i]) / denom));
  }
}

// Parameter sizes: one large enough to be split across threads, one empty, odd small ones.
const SHAPES = [[3, 5], [70001], [0, 4], [1], [2, 3, 7]];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

describe.each(testDevices())('optimizers on %s', (device) => {
  const make = (seed: number, lo = -1, hi = 1) => SHAPES.map((s, i) => randomArray(size(s), seed * 31 + i, lo, hi));
  const upload = (arrs: Float32Array[]) => arrs.map((a, i) => tensor(a, SHAPES[i], device));

  const sgdCases: [string, SgdCfg][] = [
    ['plain', { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false }],
    ['momentum', { lr: 0.05, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false }],
    ['momentum + dampening + weight decay', { lr: 0.02, momentum: 0.8, dampening: 0.3, weightDecay: 0.05, nesterov: false }],
    ['nesterov + weight decay', { lr: 0.03, momentum: 0.7, dampening: 0, weightDecay: 0.01, nesterov: true }],
    ['weight decay without momentum', { lr: 0.5, momentum: 0, dampening: 0, weightDecay: 0.2, nesterov: false }],
  ];

  it.each(sgdCases)('SGD %s matches torch formulas over several steps', (_name, c) => {
    const p = make(1),
      bufs = SHAPES.map((s) => new Float32Array(size(s)));
    const tp = upload(p),
      tb = upload(bufs.map((b) => b.slice()));
    for (let step = 0; step < 4; step++) {
      const g = make(100 + step);
      native.sgdStep(tp, upload(g), c.momentum ? tb : null, c.lr, c.momentum, c.dampening, c.weightDecay, c.nesterov, step === 0);
      p.forEach((pi, i) => sgdRef(pi, g[i], bufs[i], c, step === 0));
    }
    tp.forEach((t, i) => expectClose(values(t), p[i], 1e-6, 1e-7, `param ${i}`));
    if (c.momentum) tb.forEach((t, i) => expectClose(values(t), bufs[i], 1e-6, 1e-7, `buf ${i}`));
  });

  const adamCases: [string, AdamCfg][] = [
    ['Adam', { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false }],
    ['Adam + L2 weight decay', { lr: 0.003, beta1: 0.85, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: false }],
    ['AdamW', { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, decoupled: true }],
  ];

  it.each(adamCases)('%s matches torch formulas with bias correction over several steps', (_name, c) => {
    const p = make(2);
    const m = SHAPES.map((s) => new Float32Array(size(s))),
      v = SHAPES.map((s) => new Float32Array(size(s)));
    const tp = upload(p),
      tm = upload(m.map((a) => a.slice())),
      tv = upload(v.map((a) => a.slice()));
    for (let step = 1; step <= 5; step++) {
      const g = make(200 + step);
      native.adamStep(tp, upload(g), tm, tv, c.lr, c.beta1, c.beta2, c.eps, c.weightDecay, c.decoupled, step);
      p.forEach((pi, i) => adamRef(pi, g[i], m[i], v[i], c, step));
    }
    tp.forEach((t, i) => expectClose(values(t), p[i], 2e-6, 1e-7, `param ${i}`));
    tm.forEach((t, i) => expectClose(values(t), m[i], 2e-6, 1e-8, `m ${i}`));
    tv.forEach((t, i) => expectClose(values(t), v[i], 2e-6, 1e-10, `v ${i}`));
  });

  it('Adam and AdamW differ only through the weight decay', () => {
    const run = (decoupled: boolean, wd: number) => {
      const p = [tensor([0.5, -1.5, 2], [3], device)];
      const m = [native.full([3], 0, 'float32', device)],
        v = [native.full([3], 0, 'float32', device)];
      native.adamStep(p, [tensor([0.1, 0.2, -0.3], [3], device)], m, v, 0.1, 0.9, 0.999, 1e-8, wd, decoupled, 1);
      return Array.from(values(p[0]));
    };
    expect(run(false, 0)).toEqual(run(true, 0));
    expect(run(false, 0.5)).not.toEqual(run(true, 0.5));
    // First Adam step moves every weight by ~lr * sign(g): bias correction makes m/sqrt(v) = +-1.
    expectClose(run(false, 0), [0.4, -1.6, 2.1], 1e-6, 1e-6);
  });

  // Produced once with PyTorch 1.13:
  //   import torch
  //   p0 = [0.5, -1.25, 2.0, 0.75]
  //   grads = [[0.1, -0.2, 0.3, 0.05], [0.4, 0.1, -0.3, 0.2], [-0.25, 0.5, 0.15, -0.1]]
  //   def run(make):
  //       p = torch.nn.Parameter(torch.tensor(p0, dtype=torch.float32)); opt = make([p])
  //       for g in grads:
  //           p.grad = torch.tensor(g, dtype=torch.float32); opt.step()
  //       return p.detach().tolist()
  //   run(lambda ps: torch.optim.SGD(ps, lr=0.1))                                   # sgd_plain
  //   run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01))
  //   run(lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1))
  //   run(lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1))
  //   run(lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1))
  const P0 = [0.5, -1.25, 2.0, 0.75];
  const GRADS = [
    [0.1, -0.2, 0.3, 0.05],
    [0.4, 0.1, -0.3, 0.2],
    [-0.25, 0.5, 0.15, -0.1],
  ];
  const TORCH = {
    sgd_plain: [0.4750000238418579, -1.2899999618530273, 1.9850000143051147, 0.7350000143051147],
    sgd_momentum_wd: [0.4244087040424347, -1.2513155937194824, 1.9459468126296997, 0.7072964310646057],
    sgd_nesterov: [0.4416528046131134, -1.2334614992141724, 1.907913327217102, 0.7007463574409485],
    adam: [0.47679996490478516, -1.2339481115341187, 1.9780502319335938, 0.7236658930778503],
    adamw: [0.4774338901042938, -1.2400020360946655, 1.9835244417190552, 0.7258070707321167],
  };

  it('agrees with numbers produced by PyTorch 1.13', () => {
    const sgd = (lr: number, mom: number, damp: number, wd: number, nest: boolean) => {
      const p = tensor(P0, [4], device),
        b = native.full([4], 0, 'float32', device);
      GRADS.forEach((g, t) => native.sgdStep([p], [tensor(g, [4], device)], [b], lr, mom, damp, wd, nest, t === 0));
      return values(p);
    };
    const adam = (lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean) => {
      const p = tensor(P0, [4], device),
        m = native.full([4], 0, 'float32', device),
        v = native.full([4], 0, 'float32', device);
      GRADS.forEach((g, t) => native.adamStep([p], [tensor(g, [4], device)], [m], [v], lr, b1, b2, eps, wd, decoupled, t + 1));
      return values(p);
    };
    expectClose(sgd(0.1, 0, 0, 0, false), TORCH.sgd_plain, 1e-6, 1e-7, 'sgd');
    expectClose(sgd(0.1, 0.9, 0.1, 0.01, false), TORCH.sgd_momentum_wd, 1e-6, 1e-7, 'sgd momentum');
    expectClose(sgd(0.05, 0.8, 0, 0.1, true), TORCH.sgd_nesterov, 1e-6, 1e-7, 'sgd nesterov');
    expectClose(adam(0.01, 0.9, 0.999, 1e-8, 0.1, false), TORCH.adam, 1e-6, 1e-7, 'adam');
    expectClose(adam(0.01, 0.8, 0.99, 1e-6, 0.1, true), TORCH.adamw, 1e-6, 1e-7, 'adamw');
  });

  it('is deterministic and leaves an unused momentum list untouched', () => {
    const p1 = [tensor(randomArray(100000, 5), [100000], device)],
      p2 = [tensor(randomArray(100000, 5), [100000], device)];
    const g = [tensor(randomArray(100000, 6), [100000], device)];
    const b = [native.full([100000], 7, 'float32', device)];
    native.sgdStep(p1, g, b, 0.1, 0, 0, 0.01, false, false);
    native.sgdStep(p2, g, null, 0.1, 0, 0, 0.01, false, false);
    expect(Buffer.from(values(p1[0]).buffer).equals(Buffer.from(values(p2[0]).buffer))).toBe(true);
    expect(values(b[0]).every((x) => x === 7)).toBe(true);
  });

  it('typed errors for bad lists and hyper-parameters', () => {
    const p = [tensor([1, 2, 3], [3], device), tensor([1, 2], [2], device)];
    const g = [tensor([1, 2, 3], [3], device), tensor([1, 2], [2], device)];
    const b = [native.full([3], 0, 'float32', device), native.full([2], 0, 'float32', device)];
    const sgd =
      (
        over: Partial<{
          p: NativeTensor[];
          g: NativeTensor[];
          b: NativeTensor[] | null;
          lr: number;
          mom: number;
          damp: number;
          wd: number;
          nest: boolean;
        }>,
      ) =>
      () =>
        native.sgdStep(
          over.p ?? p,
          over.g ?? g,
          over.b === undefined ? b : over.b,
          over.lr ?? 0.1,
          over.mom ?? 0.9,
          over.damp ?? 0,
          over.wd ?? 0,
          over.nest ?? false,
          false,
        );
    expect(sgd({})).not.toThrow();
    expect(sgd({ g: [g[0]] })).toThrow(ArgumentError);
    expect(sgd({ g: [g[0]] })).toThrow(/'grads' has 1 tensors but 'params' has 2/);
    expect(sgd({ g: [g[0], tensor([1, 2, 3], [3], device)] })).toThrow(ShapeError);
    expect(sgd({ g: [g[0], tensor([1, 2, 3], [3], device)] })).toThrow(/grads\[1\] has shape \[3\] but params\[1\] has shape \[2\]/);
    expect(sgd({ b: [b[0], native.full([1, 2], 0, 'float32', device)] })).toThrow(/momentumBufs\[1\]/);
    expect(sgd({ g: [g[0], native.full([2], 0, 'int32', device)] })).toThrow(DTypeError);
    expect(sgd({ b: null })).toThrow(/'momentumBufs' is required/);
    expect(sgd({ lr: -1 })).toThrow(ArgumentError);
    expect(sgd({ lr: NaN })).toThrow(/'lr'/);
    expect(sgd({ mom: -0.5 })).toThrow(/'momentum'/);
    expect(sgd({ wd: -0.1 })).toThrow(/'weightDecay'/);
    expect(sgd({ nest: true, damp: 0.1 })).toThrow(/nesterov/);
    expect(sgd({ nest: true, mom: 0, b: null })).toThrow(/nesterov/);
    expect(sgd({ p: [p[0], p[0]], g: [g[0], g[0]], b: [b[0], native.full([3], 0, 'float32', device)] })).toThrow(
      /params\[0\] and params\[1\] share storage/,
    );
    expect(sgd({ b: [p[0], b[1]] })).toThrow(/share storage/);
    expect(() => native.sgdStep([p[0]], [g[0]], [b[0]], 0.1, 0.9, 0, 0, false, 'yes' as never)).toThrow(ArgumentError);

    const m = [native.full([3], 0, 'float32', device), native.full([2], 0, 'float32', device)];
    const v = [native.full([3], 0, 'float32', device), native.full([2], 0, 'float32', device)];
    const adam =
      (b1: number, b2: number, eps: number, step: number, vv = v) =>
      () =>
        native.adamStep(p, g, m, vv, 0.01, b1, b2, eps, 0, false, step);
    expect(adam(0.9, 0.999, 1e-8, 1)).not.toThrow();
    expect(adam(1, 0.999, 1e-8, 1)).toThrow(/'beta1'/);
    expect(adam(0.9, -0.1, 1e-8, 1)).toThrow(/'beta2'/);
    expect(adam(0.9, 0.999, 0, 1)).toThrow(/'eps'/);
    expect(adam(0.9, 0.999, 1e-8, 0)).toThrow(/'step'/);
    expect(adam(0.9, 0.999, 1e-8, 1.5)).toThrow(ArgumentError);
    expect(adam(0.9, 0.999, 1e-8, 1, [v[0]])).toThrow(/'v' has 1 tensors/);
    expect(adam(0.9, 0.999, 1e-8, 1, [v[0], native.full([3], 0, 'float32', device)])).toThrow(
      /v\[1\] has shape \[3\] but params\[1\] has shape \[2\]/,
    );
    expect(adam(0.9, 0.999, 1e-8, 1, [m[0], v[1]])).toThrow(/m\[0\] and v\[0\] share storage/);
    expect(() => native.adamStep({} as never, g, m, v, 0.01, 0.9, 0.999, 1e-8, 0, false, 1)).toThrow(ArgumentError);
  });

  // The weight average's update was add(mul(avg, d), mul(p, 1 - d)) per tensor; the fused call
  // must give the same bits (a changed last bit would change `nnlab train`'s saved weights).
  it('emaUpdate gives the bits of the affine, affine, add it replaces, over many updates', () => {
    const p0 = make(5),
      a0 = make(6);
    // Signed zeros on both sides: the separate ops turn -0 into +0, and so must the fused one.
    for (const arr of [p0[0], a0[0]]) arr.set([-0, -0, 0, -0]);
    const fused = upload(a0),
      ref = upload(a0);
    for (let t = 1; t <= 12; t++) {
      const p = upload(make(300 + t));
      const d = Math.min(0.998, (1 + t) / (10 + t));
      native.emaUpdate(fused, p, d, 1 - d);
      ref.forEach((r, i) => {
        const next = native.binary(native.unary(r, 'affine', d, 0), native.unary(p[i], 'affine', 1 - d, 0), 'add');
        ref[i] = next;
      });
    }
    fused.forEach((t, i) => expect(Buffer.from(values(t).buffer).equals(Buffer.from(values(ref[i]).buffer)), `tensor ${i}`).toBe(true));
    // The signed-zero case on its own: -0 * d + -0 * (1 - d) is +0 through the separate ops.
    const z = [tensor([-0, -0], [2], device)];
    native.emaUpdate(z, [tensor([-0, 1], [2], device)], 0.5, 0.5);
    expect(Object.is(values(z[0])[0], 0)).toBe(true);
  });

  it('emaUpdate: typed errors for bad lists, factors and shared storage', () => {
    const avg = [tensor([1, 2, 3], [3], device), tensor([1, 2], [2], device)];
    const p = [tensor([3, 2, 1], [3], device), tensor([5, 6], [2], device)];
    expect(() => native.emaUpdate(avg, p, 0.9, 0.1)).not.toThrow();
    // Each product rounded to float32 on its own, then the sum.
    const ema = (a: number, x: number) => f(f(f(0.9) * a) + f(f(0.1) * x));
    expect(Array.from(values(avg[1]))).toEqual([ema(1, 5), ema(2, 6)]);
    expect(() => native.emaUpdate(avg, [p[0]], 0.9, 0.1)).toThrow(/'avg' has 2 tensors but 'params' has 1/);
    expect(() => native.emaUpdate(avg, [p[0], p[0]], 0.9, 0.1)).toThrow(ShapeError);
    expect(() => native.emaUpdate(avg, p, 1.5, 0.1)).toThrow(/'keep'/);
    expect(() => native.emaUpdate(avg, p, 0.9, NaN)).toThrow(/'take'/);
    expect(() => native.emaUpdate(avg, [avg[0], p[1]], 0.9, 0.1)).toThrow(/params\[0\] and avg\[0\] share storage/);
    expect(() => native.emaUpdate([avg[0], avg[0]], [p[0], p[0]], 0.9, 0.1)).toThrow(/avg\[0\] and avg\[1\] share storage/);
    expect(() => native.emaUpdate(avg, [p[0], native.full([2], 0, 'int32', device)], 0.9, 0.1)).toThrow(DTypeError);
  });
});
