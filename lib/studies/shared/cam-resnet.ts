// The ResNet18 the `cam` study explains: torchvision's layout and parameter names, with conv1 a
// 3x3 stride-1 convolution on the one MNIST channel (torchvision's max-pool kept), so 28x28 images
// leave 2x2 maps at layer4 and 4x4 at layer3. torchvision's 7x7 stride-2 stem at the resnet-pretrain
// study's 32x32 leaves layer4 at 1x1, where every class-activation map is one constant; the
// CIFAR stem (no max-pool, 4x4 at layer4) costs 4x the compute, too much for a quick preset
// here. `--weights FILE` loads a safetensors state dict of this model (e.g. the one the study
// saves), validated key by key and shape by shape.
import { existsSync } from 'node:fs';

import { ArgumentError, IOError, ShapeError } from '../../core/errors.js';
import { io, nn, noGrad, ops, RandomGenerator, tidy } from '../../index.js';
import type { MnistSplit } from '../../data/mnist.js';
import type { Tensor } from '../../index.js';

export const CAM_RESNET_DESCRIPTION =
  'ResNet18 (torchvision layout and names) with conv1 = Conv2d(1, 64, 3x3, stride 1, pad 1), then max-pool 3/2: 28x28 -> 14 (layer1) -> 7 -> 4 -> 2 (layer4)';
export const RESNET_LAYER = 'layer4',
  RESNET_FC = 'fc';

/** ResNet18 (torchvision names) with conv1 = Conv2d(inChannels, 64, 3, stride 1, pad 1). */
export class CifarResNet18 extends nn.ResNet18 {
  constructor(o: { numClasses: number; inChannels: number; generator: RandomGenerator }) {
    super({ ...o, init: 'torchvision' });
    this.conv1.dispose();
    const conv1 = new nn.Conv2d(o.inChannels, 64, 3, { stride: 1, padding: 1, bias: false, generator: o.generator });
    nn.init.kaimingNormal_(conv1.weight, { mode: 'fan_out', nonlinearity: 'relu', generator: o.generator });
    this.conv1 = this.registerModule('conv1', conv1);
  }

  /** torchvision's forward, each child through call() so that hooks fire. */
  override forward(x: Tensor): Tensor {
    let y = x;
    for (const m of [this.conv1, this.bn1, this.relu, this.maxpool, this.layer1, this.layer2, this.layer3, this.layer4, this.avgpool])
      y = m.call(y);
    return this.fc.call(ops.flatten(y, 1));
  }
}

/**
 * A CifarResNet18 with the weights of `path` (a safetensors state dict with torchvision names:
 * conv1.weight [64, 1, 3, 3], fc.weight [10, 512], and every batch-norm buffer). Errors name the
 * file and the first keys or shape that do not fit.
 */
export function loadCamResnet(path: string): CifarResNet18 {
  if (!existsSync(path)) throw new IOError(`cam: --weights file not found: ${path}`);
  let file: ReturnType<typeof io.loadSafetensors>;
  try {
    file = io.loadSafetensors(path);
  } catch (e) {
    throw new IOError(`cam: --weights ${path} is not a readable safetensors file (${(e as Error).message})`);
  }
  const { tensors } = file;
  const model = new CifarResNet18({ numClasses: 10, inChannels: 1, generator: new RandomGenerator(0) });
  try {
    const own = model.stateDict();
    const missing = [...own.keys()].filter((k) => !tensors.has(k) && !k.endsWith('.num_batches_tracked'));
    const unexpected = [...tensors.keys()].filter((k) => !own.has(k));
    const list = (a: string[]) => `[${a.slice(0, 6).join(', ')}${a.length > 6 ? ', ...' : ''}]`;
    if (missing.length || unexpected.length)
      throw new ArgumentError(
        `cam: --weights ${path} is not a ResNet18 state dict with torchvision names: missing keys ${list(missing)}, unexpected keys ${list(unexpected)}`,
      );
    for (const [k, t] of tensors) {
      const want = own.get(k)!.shape;
      if (t.shape.join() !== want.join())
        throw new ShapeError(
          `cam: --weights ${path}: '${k}' has shape [${t.shape.join(', ')}], the study's ResNet18 (conv1 3x3 stride 1 on one channel, 10 classes) needs [${want.join(', ')}]`,
        );
    }
    model.loadStateDict(tensors, false);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Saves the study's ResNet18 (the file `--weights` takes back). */
export function saveCamResnet(path: string, model: CifarResNet18): void {
  io.saveSafetensors(path, model.stateDict(), { arch: 'resnet18-cifar-stem', input: '1x28x28 MNIST-normalised' });
}

/** The first n images of a split (the split itself when n covers it); the caller disposes x and y of a new one. */
export function firstImages(s: MnistSplit, n: number): MnistSplit {
  if (n >= s.n) return s;
  return {
    x: ops.slice(s.x, 0, 0, n).keep(),
    y: ops.slice(s.y, 0, 0, n).keep(),
    pixels: s.pixels.subarray(0, n * 784),
    labels: s.labels.subarray(0, n),
    n,
  };
}

/** Top-1 accuracy of a model on a split, in eval mode, 256 images per forward pass. */
export function testAccuracy(model: nn.Module, s: MnistSplit): number {
  model.eval();
  let right = 0;
  for (let i = 0; i < s.n; i += 256) {
    const e = Math.min(s.n, i + 256);
    const pred = tidy(() => noGrad(() => ops.argmax(model.call(ops.slice(s.x, 0, i, e)), 1).data()));
    for (let j = i; j < e; j++) if (pred[j - i] === s.labels[j]) right++;
  }
  return right / s.n;
}

/**
 * Re-estimates every batch norm's running mean and variance from `images` training images
 * (forward passes in train mode, no gradient; momentum 0.1 over images/batch passes forgets the
 * old estimate). After the quick preset's 31 steps the running estimates trail the weights: test
 * accuracy was 28% in eval mode against 92% with batch statistics, and 92% after this.
 */
export function recalibrateBatchNorm(model: nn.Module, s: MnistSplit, images = 2000, batch = 50): void {
  model.train();
  for (let i = 0; i + batch <= Math.min(images, s.n); i += batch) tidy(() => noGrad(() => model.call(ops.slice(s.x, 0, i, i + batch))));
  model.eval();
}
