// Layers with PyTorch's names, shapes, defaults and parameter names.
import { ArgumentError } from '../core/errors.js';
import { isGradEnabled } from '../core/autograd/engine.js';
import * as ops from '../core/ops/index.js';
import { RandomGenerator } from '../core/random.js';
import { Tensor } from '../core/tensor.js';
import { constant_, defaultInit_, emptyParam } from './init.js';
import { Module } from './module.js';
import { forwardInOrder, oneOpForwards, registerCommutingPair, registerFusedPair, registerFusedTriple } from './release.js';
import type { FusedForward } from './release.js';

export interface LayerOptions {
  bias?: boolean;
  generator?: RandomGenerator;
}

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LayerOptions = {},
  ) {
    super();
    if (!(inFeatures > 0 && outFeatures > 0))
      throw new ArgumentError(`Linear: features must be positive, got ${inFeatures} -> ${outFeatures}`);
    this.weight = this.registerParameter('weight', emptyParam([outFeatures, inFeatures]))!;
    this.bias = this.registerParameter('bias', opts.bias === false ? null : emptyParam([outFeatures]));
    defaultInit_(this.weight, this.bias, opts.generator);
  }
  forward(x: Tensor): Tensor {
    // A batch of rows runs as the fused op (one native call each way, the same bits).
    return x.ndim === 2 && !linearFusionOff ? ops.linearAct(x, this.weight, this.bias, 'none') : ops.linear(x, this.weight, this.bias);
  }
}

// NNLAB_NO_FUSED_LINEAR=1 runs linear layers and their activations as separate ops (A/B measurements).
const linearFusionOff = !!process.env.NNLAB_NO_FUSED_LINEAR && process.env.NNLAB_NO_FUSED_LINEAR !== '0';

/**
 * A Linear layer then its activation (ReLU, Sigmoid or Tanh) as one op, ops.linearAct, on a batch
 * of rows: the values and gradients of the two layers bit for bit, one native call each way
 * instead of three (product, bias, activation) and four, and no intermediate tensors.
 */
function linearThenAct(act: ops.LinearActName): FusedForward {
  return (linear, _act, x) => {
    if (x.ndim !== 2 || linearFusionOff) return null;
    const l = linear as Linear;
    return ops.linearAct(x, l.weight, l.bias, act);
  };
}

export interface Conv2dLayerOptions extends LayerOptions, ops.Conv2dOptions {}

export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    readonly opts: Conv2dLayerOptions = {},
  ) {
    super();
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const groups = opts.groups ?? 1;
    if (inChannels % groups || outChannels % groups)
      throw new ArgumentError(`Conv2d: channels ${inChannels} -> ${outChannels} must be divisible by groups ${groups}`);
    this.weight = this.registerParameter('weight', emptyParam([outChannels, inChannels / groups, kh, kw]))!;
    this.bias = this.registerParameter('bias', opts.bias === false ? null : emptyParam([outChannels]));
    defaultInit_(this.weight, this.bias, opts.generator);
  }
  /** The operands of this layer's convolution of x (a stacked layer joins its members' into one). */
  convOperands(_x: Tensor): ConvOperands {
    return { weight: this.weight, bias: this.bias, opts: this.opts };
  }
  forward(x: Tensor): Tensor {
    return ops.conv2d(x, this.weight, this.bias, this.opts);
  }
}

export interface ConvOperands {
  weight: Tensor;
  bias: Tensor | null;
  opts: ops.Conv2dOptions;
}

// NNLAB_NO_FUSED_CONV_POOL=1 runs the pair as two ops (A/B measurements).
const fusionOff = !!process.env.NNLAB_NO_FUSED_CONV_POOL && process.env.NNLAB_NO_FUSED_CONV_POOL !== '0';

/**
 * A convolution layer (Conv2d, or a stacked one) then MaxPool2d as one op: ops.conv2dMaxPool2d,
 * whose convolution output exists only a block of images at a time (or not at all, in the CPU's
 * kernel for first-layer shapes). For a seed CNN's first layer that spares the passes over its
 * whole output (77 MB per step for 7 batched members).
 */
export function convThenMaxPool(conv: Module, pool: Module, x: Tensor): Tensor | null {
  // Only where x needs no gradient (a first layer): with an input gradient, the blocks' smaller
  // convolutions cost more than the passes they save (see docs/performance.md).
  if (x.requiresGrad || fusionOff) return null;
  const c = (conv as Module & { convOperands(x: Tensor): ConvOperands }).convOperands(x),
    p = pool as MaxPool2d;
  return ops.conv2dMaxPool2d(x, c.weight, c.bias, c.opts, p.kernelSize, p.opts);
}

/**
 * Conv2d, MaxPool2d then ReLU as one op: relu is applied in the same pass, and in training its
 * gradient is taken inside the op's backward, sparing relu's own passes over the pooled output
 * forward and backward. Where no gradient is taken (inference) the pooling indices are never
 * written out. With gradients only where the pair itself runs as one op (x needs no gradient: a
 * first layer); elsewhere null, and the pair and relu run as ops of their own.
 */
export function convThenMaxPoolRelu(conv: Module, pool: Module, _relu: Module, x: Tensor): Tensor | null {
  if (fusionOff || (isGradEnabled() && x.requiresGrad)) return null;
  const c = (conv as Module & { convOperands(x: Tensor): ConvOperands }).convOperands(x),
    p = pool as MaxPool2d;
  return ops.conv2dMaxPool2d(x, c.weight, c.bias, c.opts, p.kernelSize, p.opts, { relu: true });
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: number | [number, number],
    readonly opts: ops.Pool2dOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return ops.maxPool2d(x, this.kernelSize, this.opts);
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: number | [number, number],
    readonly opts: ops.Pool2dOptions & { countIncludePad?: boolean } = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return ops.avgPool2d(x, this.kernelSize, this.opts);
  }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | [number, number]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return ops.adaptiveAvgPool2d(x, this.outputSize);
  }
}

class BatchNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  running_mean: Tensor;
  running_var: Tensor;
  num_batches_tracked: Tensor;
  private batches = 0;
  constructor(
    readonly numFeatures: number,
    readonly rank: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
    affine = true,
  ) {
    super();
    this.weight = this.registerParameter('weight', affine ? constant_(emptyParam([numFeatures]), 1) : null);
    this.bias = this.registerParameter('bias', affine ? emptyParam([numFeatures]) : null);
    this.running_mean = this.registerBuffer('running_mean', emptyParam([numFeatures]));
    this.running_var = this.registerBuffer('running_var', constant_(emptyParam([numFeatures]), 1));
    // PyTorch keeps an int64 counter; int32 holds it here and loads into PyTorch's buffer by copy.
    this.num_batches_tracked = this.registerBuffer('num_batches_tracked', ops.full([], 0, { dtype: 'int32' }));
  }
  forward(x: Tensor): Tensor {
    if (x.ndim !== this.rank && !(this.rank === 2 && x.ndim === 3))
      throw new ArgumentError(`${this.constructor.name}: expected a ${this.rank}-D input, got [${x.shape.join(', ')}]`);
    if (this.training) {
      this.batches++;
      const c = ops.full([], this.batches, { dtype: 'int32', device: this.num_batches_tracked.device });
      ops.copyInto(this.num_batches_tracked, c);
      c.dispose();
    }
    return ops.batchNorm(x, this.running_mean, this.running_var, this.weight, this.bias, {
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}

export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, opts: { eps?: number; momentum?: number; affine?: boolean } = {}) {
    super(numFeatures, 2, opts.eps, opts.momentum, opts.affine);
  }
}

export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, opts: { eps?: number; momentum?: number; affine?: boolean } = {}) {
    super(numFeatures, 4, opts.eps, opts.momentum, opts.affine);
  }
}

export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    readonly generator?: RandomGenerator,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new ArgumentError(`Dropout: p must be in [0, 1), got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return ops.dropout(x, this.p, this.training, this.generator);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return ops.relu(x);
  }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return ops.tanh(x);
  }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return ops.sigmoid(x);
  }
}
export class Softmax extends Module {
  constructor(readonly axis = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return ops.softmax(x, this.axis);
  }
}
export class LogSoftmax extends Module {
  constructor(readonly axis = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return ops.logSoftmax(x, this.axis);
  }
}
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return ops.flatten(x, this.startDim, this.endDim);
  }
}
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Children named "0", "1", ... as in PyTorch, applied in order. */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(x: Tensor): Tensor {
    return forwardInOrder(x, this.layers);
  }
}

// Single-op layers: their input may be freed once they ran, when that op's backward does not read it.
for (const c of [MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, ReLU]) oneOpForwards.add(c.prototype.forward);
// ReLU then MaxPool2d runs as MaxPool2d then ReLU: the same values and gradients, less work (release.ts).
registerCommutingPair(ReLU.prototype.forward, MaxPool2d.prototype.forward);
// Conv2d then MaxPool2d (after that swap) runs as one op (convThenMaxPool).
registerFusedPair(Conv2d.prototype.forward, MaxPool2d.prototype.forward, convThenMaxPool);
registerFusedTriple(Conv2d.prototype.forward, MaxPool2d.prototype.forward, ReLU.prototype.forward, convThenMaxPoolRelu);
// Linear then ReLU, Sigmoid or Tanh runs as one op (linearThenAct).
registerFusedPair(Linear.prototype.forward, ReLU.prototype.forward, linearThenAct('relu'));
registerFusedPair(Linear.prototype.forward, Sigmoid.prototype.forward, linearThenAct('sigmoid'));
registerFusedPair(Linear.prototype.forward, Tanh.prototype.forward, linearThenAct('tanh'));
