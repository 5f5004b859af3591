// Conv layer shapes timed by bench/conv.mjs, which hands the chosen list to its torch peer
// (bench/peers/torch_conv.py --layers JSON), so both sides always time the same layers.
//   seed:     the seed CNN's convs at batch 128 (conv1's input needs no gradient)
//   resnet18: every distinct conv of torchvision's resnet18 on 32x32x3 images at batch 512 (7x7/2
//             stem, then 3x3 convs on 8x8 .. 1x1 maps, 1x1 stride-2 downsamples); no bias
const L = (layer, x, w, stride, pad, bias, needInputGrad) => ({ layer, x, w, stride, pad, bias, needInputGrad });

export const LAYER_SETS = {
  seed: [L('conv1', [128, 1, 28, 28], [32, 1, 3, 3], 1, 0, true, false), L('conv2', [128, 32, 13, 13], [64, 32, 3, 3], 1, 0, true, true)],
  resnet18: [
    L('r18.stem', [512, 3, 32, 32], [64, 3, 7, 7], 2, 3, false, false),
    L('r18.l1', [512, 64, 8, 8], [64, 64, 3, 3], 1, 1, false, true),
    L('r18.l2.0', [512, 64, 8, 8], [128, 64, 3, 3], 2, 1, false, true),
    L('r18.l2', [512, 128, 4, 4], [128, 128, 3, 3], 1, 1, false, true),
    L('r18.l2.ds', [512, 64, 8, 8], [128, 64, 1, 1], 2, 0, false, true),
    L('r18.l3.0', [512, 128, 4, 4], [256, 128, 3, 3], 2, 1, false, true),
    L('r18.l3', [512, 256, 2, 2], [256, 256, 3, 3], 1, 1, false, true),
    L('r18.l3.ds', [512, 128, 4, 4], [256, 128, 1, 1], 2, 0, false, true),
    L('r18.l4.0', [512, 256, 2, 2], [512, 256, 3, 3], 2, 1, false, true),
    L('r18.l4', [512, 512, 1, 1], [512, 512, 3, 3], 1, 1, false, true),
    L('r18.l4.ds', [512, 256, 2, 2], [512, 256, 1, 1], 2, 0, false, true),
  ],
};

export function layers(set) {
  if (set === 'all') return [...LAYER_SETS.seed, ...LAYER_SETS.resnet18];
  if (!LAYER_SETS[set]) throw new Error(`unknown layer set '${set}' (seed, resnet18, all)`);
  return LAYER_SETS[set];
}
