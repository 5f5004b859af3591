// Occlusion sensitivity (Zeiler & Fergus 2014, section 4.2): a grey square slides over the image;
// at each position the correct-class probability, the most probable class and the total
// activation of the feature map that responds most to the unoccluded image are recorded. The
// occluded copies go through the model in batches, so a 28x28 map is a few forward passes.
import { noGrad } from '../core/autograd/engine.js';
import { ArgumentError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import type { Module } from '../nn/module.js';
import { checkImages, explainMode } from './common.js';
import { registerForwardHook } from './hooks.js';

export interface OcclusionOptions {
  /** Side of the grey square in pixels. */
  size: number;
  /** Step between positions (default 1). */
  stride?: number;
  /** Value the square is filled with, in the model's input units (e.g. the normalised grey). */
  fill?: number;
  /** Class whose probability is mapped (default: the predicted class of the unoccluded image). */
  target?: number;
  /** Module whose strongest feature map is tracked (optional). */
  layer?: string;
  /** Occluded images per forward pass (default 256). */
  batchSize?: number;
}

export interface OcclusionMap {
  /** Positions down and across: the square is centred on pixel (r * stride, c * stride). */
  rows: number;
  cols: number;
  target: number;
  /** Probability of `target` on the unoccluded image. */
  baseProb: number;
  /** Probability of `target` per position, [rows, cols]. */
  prob: Float32Array;
  /** Most probable class per position. */
  predicted: Int32Array;
  /** The tracked feature map (strongest on the unoccluded image) and its total activation per position. */
  channel: number | null;
  activation: Float32Array | null;
  /** That map's total activation on the unoccluded image. */
  baseActivation: number | null;
}

/** Top-left corner and extent of the square at grid position p along an axis of length len. */
export function squareSpan(p: number, stride: number, size: number, len: number): [number, number] {
  const start = p * stride - Math.floor(size / 2);
  return [Math.max(0, start), Math.min(len, start + size)];
}

export function occlusionGrid(H: number, W: number, stride: number): { rows: number; cols: number } {
  return { rows: Math.floor((H - 1) / stride) + 1, cols: Math.floor((W - 1) / stride) + 1 };
}

/** Copies of `image` [C*H*W] occluded at grid positions [from, to) (row-major over the grid). */
export function occludedBatch(
  image: Float32Array,
  C: number,
  H: number,
  W: number,
  o: Required<Pick<OcclusionOptions, 'size' | 'stride' | 'fill'>>,
  from: number,
  to: number,
): Float32Array {
  const { cols } = occlusionGrid(H, W, o.stride),
    plane = H * W;
  const out = new Float32Array((to - from) * C * plane);
  for (let p = from; p < to; p++) {
    const dst = (p - from) * C * plane;
    out.set(image, dst);
    const [r0, r1] = squareSpan(Math.floor(p / cols), o.stride, o.size, H);
    const [c0, c1] = squareSpan(p % cols, o.stride, o.size, W);
    for (let ch = 0; ch < C; ch++)
      for (let r = r0; r < r1; r++) out.fill(o.fill, dst + ch * plane + r * W + c0, dst + ch * plane + r * W + c1);
  }
  return out;
}

interface BatchOutput {
  probs: Float32Array;
  acts: Float32Array | null;
  actShape: number[];
}

function forwardBatch(model: Module, x: Tensor, layer: string | undefined): BatchOutput {
  return tidy(() => {
    let acts: Float32Array | null = null,
      actShape: number[] = [];
    const handle = layer
      ? registerForwardHook(model, layer, (out) => {
          acts = out.data() as Float32Array;
          actShape = out.shape.slice();
        })
      : null;
    try {
      const probs = noGrad(() => ops.softmax(model.call(x), 1)).data() as Float32Array;
      return { probs, acts, actShape };
    } finally {
      handle?.remove();
    }
  });
}

/** Total activation of channel k of each image in acts [n, K, ...]. */
function channelTotals(acts: Float32Array, shape: number[], k: number): Float32Array {
  const n = shape[0],
    K = shape[1],
    size = acts.length / (n * K);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < size; j++) s += acts[(i * K + k) * size + j];
    out[i] = s;
  }
  return out;
}

/** The occlusion maps of one image x [1, C, H, W]. */
export function occlusion(model: Module, x: Tensor, o: OcclusionOptions): OcclusionMap {
  checkImages(x, 'occlusion');
  if (x.shape[0] !== 1) throw new ArgumentError(`occlusion: explains one image [1, C, H, W] at a time, got ${x.shape[0]} images`);
  const [C, H, W] = x.shape.slice(1);
  const size = o.size,
    stride = o.stride ?? 1,
    fill = o.fill ?? 0,
    batch = o.batchSize ?? 256;
  if (!(Number.isInteger(size) && size >= 1 && size <= Math.max(H, W)))
    throw new ArgumentError(`occlusion: size must be an integer in [1, ${Math.max(H, W)}], got ${size}`);
  if (!(Number.isInteger(stride) && stride >= 1)) throw new ArgumentError(`occlusion: stride must be a positive integer, got ${stride}`);
  if (!(Number.isInteger(batch) && batch >= 1)) throw new ArgumentError(`occlusion: batchSize must be a positive integer, got ${batch}`);
  return explainMode(model, () => {
    const base = forwardBatch(model, x, o.layer);
    const classes = base.probs.length;
    let target = o.target ?? 0;
    if (o.target === undefined) for (let c = 1; c < classes; c++) if (base.probs[c] > base.probs[target]) target = c;
    if (!(Number.isInteger(target) && target >= 0 && target < classes))
      throw new ArgumentError(`occlusion: target ${target} is not one of the model's ${classes} classes`);
    let channel: number | null = null;
    if (base.acts) {
      // The strongest feature map: the highest single activation on the unoccluded image.
      const acts = base.acts as Float32Array,
        K = base.actShape[1],
        size1 = acts.length / K;
      let best = -Infinity;
      for (let k = 0; k < K; k++)
        for (let j = 0; j < size1; j++) if (acts[k * size1 + j] > best) [best, channel] = [acts[k * size1 + j], k];
    }
    const { rows, cols } = occlusionGrid(H, W, stride),
      total = rows * cols;
    const prob = new Float32Array(total),
      predicted = new Int32Array(total);
    const activation = channel === null ? null : new Float32Array(total);
    const image = x.data() as Float32Array;
    for (let s = 0; s < total; s += batch) {
      const e = Math.min(total, s + batch);
      const out = tidy(() =>
        forwardBatch(
          model,
          ops.tensor(occludedBatch(image, C, H, W, { size, stride, fill }, s, e), [e - s, C, H, W], {
            device: x.device,
          }),
          o.layer,
        ),
      );
      for (let i = 0; i < e - s; i++) {
        prob[s + i] = out.probs[i * classes + target];
        let best = 0;
        for (let c = 1; c < classes; c++) if (out.probs[i * classes + c] > out.probs[i * classes + best]) best = c;
        predicted[s + i] = best;
      }
      if (activation && out.acts) activation.set(channelTotals(out.acts, out.actShape, channel!), s);
    }
    const baseActivation = channel === null ? null : channelTotals(base.acts!, base.actShape, channel)[0];
    return { rows, cols, target, baseProb: base.probs[target], prob, predicted, channel, activation, baseActivation };
  });
}
