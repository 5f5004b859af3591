// ResNet18 in torchvision's exact layout and parameter names (torchvision.models.resnet18), so a
// torchvision state dict loads strictly and nnlab's loads back into torchvision.
//
// Every composite module holds its children as registered modules in properties and its forward
// only calls those children and ops (never a parameter tensor directly): code that re-creates a
// module with the same prototype and substituted children (batched ensembles) then runs the same
// forward unchanged.
import { ArgumentError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { RandomGenerator } from '../core/random.js';
import { Tensor } from '../core/tensor.js';
import { constant_, defaultInit_, kaimingNormal_, xavierUniform_ } from './init.js';
import { AdaptiveAvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Linear, MaxPool2d, ReLU, Sequential } from './layers.js';
import { Module } from './module.js';
import { forwardInOrder, releaseIntermediate } from './release.js';

/**
 * How the weights start:
 * - 'torchvision': torchvision's own ResNet init: kaiming_normal_(mode='fan_out', relu) on every
 *   conv, batch-norm weight 1 / bias 0, the Linear left at PyTorch's default.
 * - 'default': PyTorch's per-layer defaults (conv and Linear kaiming_uniform_(a=sqrt(5)) with the
 *   bias in +-1/sqrt(fan_in); batch norm 1 / 0).
 * - 'kaiming': kaiming_normal_(mode='fan_in', relu) on conv and Linear weights, biases 0, BN 1 / 0.
 * - 'xavier': xavier_uniform_(gain 1) on conv and Linear weights, biases 0, BN 1 / 0.
 */
export type ResnetInit = 'torchvision' | 'default' | 'kaiming' | 'xavier';
export const RESNET_INITS: readonly ResnetInit[] = ['torchvision', 'default', 'kaiming', 'xavier'];

export interface ResnetOptions {
  /** Outputs of fc (torchvision's default is 1000). */
  numClasses?: number;
  /** Input channels of conv1 (3 in torchvision; MNIST is replicated to 3). */
  inChannels?: number;
  init?: ResnetInit;
  /** Stream for every initialiser (defaultGenerator when absent, like torch's global RNG). */
  generator?: RandomGenerator;
}

const conv3x3 = (inp: number, out: number, stride: number, generator?: RandomGenerator) =>
  new Conv2d(inp, out, 3, { stride, padding: 1, bias: false, generator });
const conv1x1 = (inp: number, out: number, stride: number, generator?: RandomGenerator) =>
  new Conv2d(inp, out, 1, { stride, bias: false, generator });

/** torchvision's BasicBlock: conv3x3-BN-ReLU-conv3x3-BN, plus the (downsampled) input, ReLU. */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  /** Sequential(conv1x1, BatchNorm2d) where the stride or the channel count changes, else null. */
  downsample: Sequential | null;

  constructor(
    readonly inplanes: number,
    readonly planes: number,
    readonly stride = 1,
    downsample: Sequential | null = null,
    generator?: RandomGenerator,
  ) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inplanes, planes, stride, generator));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes, 1, generator));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = downsample ? this.registerModule('downsample', downsample) : null;
  }

  forward(x: Tensor): Tensor {
    const out = forwardInOrder(x, [this.conv1, this.bn1, this.relu, this.conv2, this.bn2]);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    const sum = ops.add(out, identity);
    releaseIntermediate(out);
    if (identity !== x) releaseIntermediate(identity);
    const y = this.relu.forward(sum);
    releaseIntermediate(sum, y);
    return y;
  }
}

/** torchvision's ResNet with BasicBlocks; `layers` blocks per stage ([2, 2, 2, 2] is ResNet18). */
export class ResNet extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  relu: ReLU;
  maxpool: MaxPool2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;
  readonly numClasses: number;
  readonly init: ResnetInit;

  constructor(
    readonly layers: readonly [number, number, number, number],
    o: ResnetOptions = {},
  ) {
    super();
    const numClasses = o.numClasses ?? 1000,
      inChannels = o.inChannels ?? 3,
      g = o.generator;
    if (!(Number.isInteger(numClasses) && numClasses > 0))
      throw new ArgumentError(`ResNet: numClasses must be a positive integer, got ${numClasses}`);
    if (!(Number.isInteger(inChannels) && inChannels > 0))
      throw new ArgumentError(`ResNet: inChannels must be a positive integer, got ${inChannels}`);
    if (layers.length !== 4 || !layers.every((n) => Number.isInteger(n) && n > 0))
      throw new ArgumentError(`ResNet: layers must be 4 positive block counts, got [${layers.join(', ')}]`);
    this.numClasses = numClasses;
    this.init = o.init ?? 'torchvision';
    if (!RESNET_INITS.includes(this.init))
      throw new ArgumentError(`ResNet: init must be one of ${RESNET_INITS.join(', ')}, got '${this.init}'`);
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, 64, 7, { stride: 2, padding: 3, bias: false, generator: g }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.relu = this.registerModule('relu', new ReLU());
    this.maxpool = this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    let inplanes = 64;
    const stage = (planes: number, blocks: number, stride: number): Sequential => {
      const down =
        stride !== 1 || inplanes !== planes ? new Sequential(conv1x1(inplanes, planes, stride, g), new BatchNorm2d(planes)) : null;
      const list = [new BasicBlock(inplanes, planes, stride, down, g)];
      inplanes = planes;
      for (let i = 1; i < blocks; i++) list.push(new BasicBlock(inplanes, planes, 1, null, g));
      return new Sequential(...list);
    };
    this.layer1 = this.registerModule('layer1', stage(64, layers[0], 1));
    this.layer2 = this.registerModule('layer2', stage(128, layers[1], 2));
    this.layer3 = this.registerModule('layer3', stage(256, layers[2], 2));
    this.layer4 = this.registerModule('layer4', stage(512, layers[3], 2));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.fc = this.registerModule('fc', new Linear(512 * BasicBlock.expansion, numClasses, { generator: g }));
    // The layers above already hold PyTorch's defaults; other schemes re-initialise in place.
    if (this.init !== 'default') initWeights_(this, this.init, g);
  }

  /** Logits [N, numClasses] of images [N, inChannels, H, W] (any H, W >= 1 after the stem). */
  forward(x: Tensor): Tensor {
    const y = forwardInOrder(x, [
      this.conv1,
      this.bn1,
      this.relu,
      this.maxpool,
      this.layer1,
      this.layer2,
      this.layer3,
      this.layer4,
      this.avgpool,
    ]);
    const flat = ops.flatten(y, 1);
    if (y !== x) releaseIntermediate(y, flat);
    const logits = this.fc.forward(flat);
    releaseIntermediate(flat, logits, x);
    return logits;
  }

  /**
   * Puts `fc` in place of the classifier (re-registered under the name 'fc', moved to the
   * model's device) and returns the previous one, which the caller now owns and disposes.
   */
  replaceFc(fc: Linear): Linear {
    if (fc.inFeatures !== 512 * BasicBlock.expansion)
      throw new ArgumentError(
        `replaceFc: the new fc takes ${fc.inFeatures} features; ResNet's pooled features are ${512 * BasicBlock.expansion}`,
      );
    const old = this.fc;
    fc.to(old.weight.device);
    this.fc = this.registerModule('fc', fc);
    return old;
  }

  /** A fresh fc Linear(512, numClasses) with PyTorch's default init (transfer learning); frees the old one. */
  resetFc(numClasses = this.numClasses, generator?: RandomGenerator): void {
    this.replaceFc(new Linear(512 * BasicBlock.expansion, numClasses, { generator })).dispose();
  }
}

/** torchvision.models.resnet18: BasicBlock, [2, 2, 2, 2], 11.69M parameters with 1000 classes. */
export class ResNet18 extends ResNet {
  constructor(o: ResnetOptions = {}) {
    super([2, 2, 2, 2], o);
  }
}

/**
 * Re-initialises every Conv2d, Linear and batch norm below `model` in place with a scheme
 * (see ResnetInit), drawing from `generator`.
 */
export function initWeights_(model: Module, scheme: ResnetInit, generator?: RandomGenerator): void {
  for (const [, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d || m instanceof BatchNorm1d) {
      if (m.weight) constant_(m.weight, 1);
      if (m.bias) constant_(m.bias, 0);
    } else if (m instanceof Conv2d || m instanceof Linear) {
      if (scheme === 'default') defaultInit_(m.weight, m.bias, generator);
      else if (scheme === 'torchvision') {
        // torchvision re-draws the convs only; Linear keeps nn.Linear's own init.
        if (m instanceof Conv2d) kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu', generator });
        else defaultInit_(m.weight, m.bias, generator);
      } else {
        if (scheme === 'kaiming') kaimingNormal_(m.weight, { mode: 'fan_in', nonlinearity: 'relu', generator });
        else xavierUniform_(m.weight, 1, generator);
        if (m.bias) constant_(m.bias, 0);
      }
    }
  }
}
