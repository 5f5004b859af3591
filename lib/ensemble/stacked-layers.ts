// Stacked versions of the leaf layers: one module that runs M members' copies of a layer at
// once on the "stacked layout" [B, M*C, ...], where member m owns channels m*C .. (m+1)*C - 1
// (features for 2-D tensors). The members' parameters are read at every forward and joined
// (concat / stack), so gradients flow back into each member's own parameter tensors and one
// optimizer over all member parameters gives every member its own update.
//   Conv2d      -> one grouped convolution (groups = M * groups, weights concatenated)
//   Linear      -> one batched GEMM over [M, B, F] (layout change in and out)
//   BatchNorm   -> batch norm over M*C channels; running statistics written back to the members
//   Dropout     -> each member's own mask from its own generator, as in a separate run
//   parameter-free layers that act per channel or per element (ReLU, pooling, Flatten(1)) run
//   unchanged on the stacked layout.
import { ArgumentError, ShapeError } from '../core/errors.js';
import { copyInto } from '../core/ops/convert.js';
import { slice } from '../core/ops/shape.js';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  Identity,
  Linear,
  MaxPool2d,
  ReLU,
  Sigmoid,
  Tanh,
  convThenMaxPool,
} from '../nn/layers.js';
import type { ConvOperands } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { registerFusedPair } from '../nn/release.js';
import * as ops from '../core/ops/index.js';
import { defaultGenerator } from '../core/random.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import { batchedLinear } from '../core/ops/linalg.js';

/** Builds the stacked counterpart of M members' copies of one leaf layer. */
export type StackFactory = (members: Module[]) => Module;

type ModuleClass = abstract new (...args: never[]) => Module;
const factories = new Map<ModuleClass, StackFactory>();

/**
 * Teaches stacking a new leaf layer (the built-in ones are registered below). A parameter-free
 * layer that acts per element or per channel can use `cloneOfFirst`.
 */
export function registerStackable(cls: ModuleClass, factory: StackFactory): void {
  factories.set(cls, factory);
}

/** The factory for a module's exact class, if any. */
export function stackFactoryFor(m: Module): StackFactory | undefined {
  return factories.get(m.constructor as ModuleClass);
}

/** Module's private containers, reached for cloning (names as declared in lib/nn/module.ts). */
export interface ModuleInternals {
  params: Map<string, Tensor | null>;
  buffers: Map<string, Tensor>;
  children: Map<string, Module>;
}
export const internals = (m: Module) => m as unknown as ModuleInternals;

/** A shallow copy of m with the same prototype and fresh, empty parameter/buffer/child maps. */
export function shellOf(m: Module): Module {
  const own = internals(m);
  const copy = Object.create(Object.getPrototypeOf(m)) as Module;
  for (const key of Object.keys(m)) {
    const v = (m as unknown as Record<string, unknown>)[key];
    (copy as unknown as Record<string, unknown>)[key] = v === own.params || v === own.buffers || v === own.children ? new Map() : v;
  }
  return copy;
}

/** For parameter-free per-element / per-channel layers: the first member's layer, copied. */
export const cloneOfFirst: StackFactory = (members) => shellOf(members[0]);

function checkChannels(x: Tensor, members: number, perMember: number, layer: string): void {
  if (x.ndim < 2 || x.shape[1] !== members * perMember)
    throw new ShapeError(
      `${layer}: stacked input must be [B, ${members}*${perMember}, ...] (${members} members x ${perMember} channels), got ${shapeStr(x.shape)}`,
    );
}

/** All members agree on a hyper-parameter (eps, momentum, stride...), or stacking is refused. */
function same<T>(members: Module[], pick: (m: never) => T, what: string): T {
  const first = JSON.stringify(pick(members[0] as never));
  members.forEach((m, i) => {
    if (JSON.stringify(pick(m as never)) !== first)
      throw new ArgumentError(`stacking: member ${i} has ${what} ${JSON.stringify(pick(m as never))}, member 0 has ${first}`);
  });
  return pick(members[0] as never);
}

const joined = (ts: Tensor[], axis = 0) => (ts.length === 1 ? ts[0] : ops.concat(ts, axis));

export class StackedConv2d extends Module {
  // The members' own layers, read to build the stacked op: they stay the members' children.
  static override readonly fieldsNotRegistered = ['members'];
  constructor(readonly members: Conv2d[]) {
    super();
    same(
      members,
      (m: Conv2d) => [m.inChannels, m.outChannels, m.weight.shape, !!m.bias, { ...m.opts, generator: undefined }],
      'a different shape or options',
    );
  }
  /** One grouped convolution on x: the members' weights and biases joined, groups times M. */
  convOperands(x: Tensor): ConvOperands {
    const m0 = this.members[0],
      M = this.members.length;
    checkChannels(x, M, m0.inChannels, 'StackedConv2d');
    const { generator: _, ...opts } = m0.opts;
    return {
      weight: joined(this.members.map((m) => m.weight)),
      bias: m0.bias ? joined(this.members.map((m) => m.bias!)) : null,
      opts: { ...opts, groups: M * (m0.opts.groups ?? 1) },
    };
  }
  forward(x: Tensor): Tensor {
    const c = this.convOperands(x);
    return ops.conv2d(x, c.weight, c.bias, c.opts);
  }
}

const isTwo = (v: number | [number, number] | undefined, dflt: number) =>
  (Array.isArray(v) ? v : [v ?? dflt, v ?? dflt]).every((e) => e === 2);
const isOne = (v: number | [number, number] | undefined, dflt: number) =>
  (Array.isArray(v) ? v : [v ?? dflt, v ?? dflt]).every((e) => e === 1);
const isZero = (v: number | [number, number] | undefined) => (Array.isArray(v) ? v : [v ?? 0, v ?? 0]).every((e) => e === 0);

/**
 * Whether a stacked conv and pool run as one op where x needs its gradient with the separate ops'
 * bits: 3x3 stride-1 unpadded convolutions with at least 4 input and 16 output channels per group,
 * whose forward is the row-tile kernel (every output computed whole, so blocks of images do not
 * move it), then a 2x2 pool of stride 2. The backward keeps the bits for any shape
 * (native/cpu/conv/conv_pool_tiled.cpp).
 */
function fusesWithInputGradient(conv: StackedConv2d, pool: MaxPool2d): boolean {
  const m0 = conv.members[0],
    [K, Cg, kh, kw] = m0.weight.shape,
    o = m0.opts;
  const groups = o.groups ?? 1;
  return (
    kh === 3 &&
    kw === 3 &&
    Cg >= 4 &&
    K / groups >= 16 &&
    isOne(o.stride, 1) &&
    isZero(o.padding) &&
    isOne(o.dilation, 1) &&
    isTwo(pool.kernelSize, 2) &&
    isTwo(pool.opts.stride, 2) &&
    isZero(pool.opts.padding)
  );
}

/**
 * A stacked convolution then MaxPool2d as one op, also where x needs its gradient (a second
 * layer): on the CPU, stacked members' activations are M times a member's and fall out of cache
 * between separate ops, and the fused op's backward keeps each block of images' gradient in cache
 * for the input, weight and bias passes. One member runs as its own `fit` would (convThenMaxPool).
 */
function stackedConvThenMaxPool(conv: Module, pool: Module, x: Tensor): Tensor | null {
  const c = conv as StackedConv2d,
    p = pool as MaxPool2d;
  const off = !!process.env.NNLAB_NO_FUSED_CONV_POOL && process.env.NNLAB_NO_FUSED_CONV_POOL !== '0';
  if (!x.requiresGrad || off || c.members.length < 2 || x.device !== 'cpu' || !fusesWithInputGradient(c, p))
    return convThenMaxPool(conv, pool, x);
  const o = c.convOperands(x);
  return ops.conv2dMaxPool2d(x, o.weight, o.bias, o.opts, p.kernelSize, p.opts);
}

export class StackedLinear extends Module {
  // The members' own layers, read to build the stacked op: they stay the members' children.
  static override readonly fieldsNotRegistered = ['members'];
  constructor(readonly members: Linear[]) {
    super();
    same(members, (m: Linear) => [m.inFeatures, m.outFeatures, !!m.bias], 'a different shape');
  }
  forward(x: Tensor): Tensor {
    const m0 = this.members[0],
      M = this.members.length,
      F = m0.inFeatures,
      O = m0.outFeatures;
    if (x.ndim !== 2) throw new ShapeError(`StackedLinear: stacked input must be [B, ${M}*${F}], got ${shapeStr(x.shape)}`);
    checkChannels(x, M, F, 'StackedLinear');
    // One member (a stack of one, as the measured stack size often picks on a CPU): its own layer,
    // one fused product with the bias instead of a batched one, a bias add and four reshapes.
    if (M === 1) return m0.forward(x);
    const B = x.shape[0];
    // [B, M*F] is member-major [B, M, F]; the GEMM wants one [B, F] block per member.
    const xm = M === 1 ? ops.reshape(x, [1, B, F]) : ops.permute(ops.reshape(x, [B, M, F]), [1, 0, 2]);
    const w = M === 1 ? ops.reshape(m0.weight, [1, O, F]) : ops.stack(this.members.map((m) => m.weight));
    let y = batchedLinear(xm, w);
    if (m0.bias) y = ops.add(y, ops.reshape(joined(this.members.map((m) => m.bias!)), [M, 1, O]));
    return M === 1 ? ops.reshape(y, [B, O]) : ops.reshape(ops.permute(y, [1, 0, 2]), [B, M * O]);
  }
}

type BatchNormLayer = BatchNorm1d | BatchNorm2d;

export class StackedBatchNorm extends Module {
  // The members' own layers, read to build the stacked op: they stay the members' children.
  static override readonly fieldsNotRegistered = ['members'];
  constructor(readonly members: BatchNormLayer[]) {
    super();
    same(
      members,
      (m: BatchNormLayer) => [m.constructor.name, m.numFeatures, m.eps, m.momentum, !!m.weight],
      'a different shape, eps, momentum or affine flag',
    );
  }
  forward(x: Tensor): Tensor {
    const M = this.members.length,
      m0 = this.members[0],
      C = m0.numFeatures;
    if (x.ndim !== m0.rank && !(m0.rank === 2 && x.ndim === 3))
      throw new ShapeError(`StackedBatchNorm: expected a ${m0.rank}-D stacked input, got ${shapeStr(x.shape)}`);
    checkChannels(x, M, C, 'StackedBatchNorm');
    // One member: its own layer updates its own statistics, without the joins and write-back.
    if (M === 1) return m0.forward(x);
    const runMean = ops.concat(this.members.map((m) => m.running_mean));
    const runVar = ops.concat(this.members.map((m) => m.running_var));
    const weight = m0.weight ? joined(this.members.map((m) => m.weight!)) : null;
    const bias = m0.bias ? joined(this.members.map((m) => m.bias!)) : null;
    const y = ops.batchNorm(x, runMean, runVar, weight, bias, { training: this.training, momentum: m0.momentum, eps: m0.eps });
    if (this.training) this.writeBack(runMean, runVar);
    runMean.dispose();
    runVar.dispose();
    return y;
  }
  /** Each member's slice of the updated running statistics into its own buffers, and its batch count. */
  private writeBack(runMean: Tensor, runVar: Tensor): void {
    const C = this.members[0].numFeatures;
    this.members.forEach((m, i) => {
      for (const [stacked, own] of [
        [runMean, m.running_mean],
        [runVar, m.running_var],
      ] as const) {
        const part = slice(stacked, 0, i * C, (i + 1) * C);
        copyInto(own, part);
        part.dispose();
      }
      // BatchNorm counts its training batches in a private field and mirrors it in num_batches_tracked.
      const counter = m as unknown as { batches: number };
      counter.batches++;
      const c = ops.full([], counter.batches, { dtype: 'int32', device: m.num_batches_tracked.device });
      ops.copyInto(m.num_batches_tracked, c);
      c.dispose();
    });
  }
}

export class StackedDropout extends Module {
  // The members' own layers, read to build the stacked op: they stay the members' children.
  static override readonly fieldsNotRegistered = ['members'];
  constructor(readonly members: Dropout[]) {
    super();
    same(members, (m: Dropout) => m.p, 'a different p');
  }
  forward(x: Tensor): Tensor {
    const M = this.members.length,
      p = this.members[0].p;
    if (!this.training || p === 0) return x;
    if (x.ndim < 2 || x.shape[1] % M !== 0)
      throw new ShapeError(`StackedDropout: stacked input must be [B, ${M}*C, ...], got ${shapeStr(x.shape)}`);
    const B = x.shape[0],
      C = x.shape[1] / M,
      rest = x.shape.slice(2);
    // Member m's slice, contiguous in its own layout [B, C, ...]: the same elements in the same
    // order as in a separate run, so its generator draws the same mask.
    const x5 = ops.reshape(x, [B, M, C, ...rest]);
    const outs = this.members.map((m, i) =>
      ops.dropout(ops.reshape(ops.slice(x5, 1, i, i + 1), [B, C, ...rest]), p, true, m.generator ?? defaultGenerator),
    );
    return ops.reshape(ops.stack(outs, 1), x.shape);
  }
}

registerStackable(Conv2d, (ms) => new StackedConv2d(ms as Conv2d[]));
registerFusedPair(StackedConv2d.prototype.forward, MaxPool2d.prototype.forward, stackedConvThenMaxPool);
registerStackable(Linear, (ms) => new StackedLinear(ms as Linear[]));
registerStackable(BatchNorm1d, (ms) => new StackedBatchNorm(ms as BatchNorm1d[]));
registerStackable(BatchNorm2d, (ms) => new StackedBatchNorm(ms as BatchNorm2d[]));
registerStackable(Dropout, (ms) => new StackedDropout(ms as Dropout[]));
for (const cls of [ReLU, Tanh, Sigmoid, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Identity]) registerStackable(cls, cloneOfFirst);
registerStackable(Flatten, (ms) => {
  const f = same(ms, (m: Flatten) => [m.startDim, m.endDim], 'different flatten axes') as number[];
  // Flatten(1, -1) turns [B, M*C, H, W] into [B, M*C*H*W], i.e. member-major [B, M, C*H*W]: still stacked.
  if (f[0] !== 1 || f[1] !== -1)
    throw new ArgumentError(`stacking: Flatten(${f[0]}, ${f[1]}) would mix members; only Flatten(1, -1) keeps the stacked layout`);
  return cloneOfFirst(ms);
});
