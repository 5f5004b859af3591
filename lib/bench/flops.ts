// FLOP counts (multiply-add = 2) of the standard workloads, for their GFLOP/s: the convolutions
// and linear layers only (activations, pooling and the optimizer are not counted).

export const convFlops = (n: number, c: number, k: number, r: number, s: number, oh: number, ow: number) => 2 * n * k * c * r * s * oh * ow;
export const linearFlops = (n: number, inF: number, outF: number) => 2 * n * inF * outF;

/** Forward and training FLOPs per image of a stack of layers (training = forward + grad input + grad weight, the first layer's grad input skipped). */
export function perImageFlops(layerFlops: readonly number[]): { forward: number; train: number } {
  const fwd = layerFlops.reduce((a, b) => a + b, 0);
  return { forward: fwd, train: 3 * fwd - layerFlops[0] };
}

export const SEED_CNN_FLOPS = perImageFlops([
  convFlops(1, 1, 32, 3, 3, 26, 26),
  convFlops(1, 32, 64, 3, 3, 11, 11),
  linearFlops(1, 1600, 128),
  linearFlops(1, 128, 10),
]);

export const MLP_FLOPS = perImageFlops([linearFlops(1, 784, 200), linearFlops(1, 200, 200), linearFlops(1, 200, 10)]);

const outSize = (h: number, k: number, s: number, p: number) => Math.floor((h + 2 * p - k) / s) + 1;
/** [C, K, kernel, stride, pad, H] of a conv's input. */
type ConvLayer = [number, number, number, number, number, number];
const layerFlops = ([c, k, r, s, p, h]: ConvLayer) => convFlops(1, c, k, r, r, outSize(h, r, s, p), outSize(h, r, s, p));

/** Per image of torchvision's ResNet18 on a 3x32x32 input with a 512 -> classes fc: every conv (downsamples too) and fc. */
export function resnet18Flops(classes = 10): { forward: number; train: number } {
  const convs: ConvLayer[] = [[3, 64, 7, 2, 3, 32]];
  let c = 64,
    h = 8; // after the stem (16x16) and the 3x3/2 max-pool
  for (const [k, stride] of [
    [64, 1],
    [128, 2],
    [256, 2],
    [512, 2],
  ]) {
    convs.push([c, k, 3, stride, 1, h]);
    const oh = outSize(h, 3, stride, 1);
    convs.push([k, k, 3, 1, 1, oh], [k, k, 3, 1, 1, oh], [k, k, 3, 1, 1, oh]);
    if (stride !== 1 || c !== k) convs.push([c, k, 1, stride, 0, h]);
    c = k;
    h = oh;
  }
  return perImageFlops([...convs.map(layerFlops), linearFlops(1, 512, classes)]);
}
