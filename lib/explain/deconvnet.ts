// Projections of one activation back to pixel space. One backward pass through the network with
// the ReLU's backward rule swapped gives the three classic variants (Springenberg et al. 2015):
// - 'deconvnet' (Zeiler & Fergus 2014): the signal is rectified, relu(g), whatever the forward
//   input was; max-pooling's backward puts it back where the recorded maximum was (unpooling by
//   switches) and a convolution's is the transposed filter;
// - 'guided' (guided backprop): relu(g) where the forward input was positive;
// - 'gradient': the plain gradient, g where the forward input was positive.
import { backward, noGrad, record } from '../core/autograd/engine.js';
import { ArgumentError, ShapeError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import { ReLU } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { checkImages, explainMode } from './common.js';
import { HookHandle, registerForwardHook, removeAll } from './hooks.js';

export type ProjectionRule = 'deconvnet' | 'guided' | 'gradient';

export interface ProjectionOptions {
  /** Module whose output holds the activation projected (e.g. the ReLU after conv 2). */
  layer: string;
  /** Feature map per image (or one for all); default: the one holding the image's highest activation. */
  channel?: number | ArrayLike<number>;
  /** Project only the channel's strongest activation ('max', Zeiler & Fergus) or its whole map ('map'). */
  keep?: 'max' | 'map';
}

export interface Projection {
  /** Input-space projections, [n, C, H, W] row-major. */
  images: Float32Array;
  shape: number[];
  /** The feature map projected per image, and the activation value that started it. */
  channels: Int32Array;
  activations: Float32Array;
}

const RULES: Record<ProjectionRule, (g: Tensor, input: Tensor) => Tensor> = {
  deconvnet: (g) => ops.relu(g),
  guided: (g, input) => ops.where(ops.gt(input, 0), ops.relu(g), 0),
  gradient: (g, input) => ops.where(ops.gt(input, 0), g, 0),
};

/** Hooks every ReLU module of `model` so its backward follows `rule`. */
function hookReLUs(model: Module, rule: ProjectionRule): HookHandle[] {
  const f = RULES[rule];
  return model
    .namedModules()
    .filter(([, m]) => m instanceof ReLU)
    .map(([name]) =>
      registerForwardHook(model, name, (out, input) => record(ops.detach(out), `${rule}ReLU`, [input], (g) => [f(g, input)])),
    );
}

/** The seed of the projection: zero except the chosen activation(s) of each image's channel. */
function projectionSeed(a: Float32Array, shape: number[], o: ProjectionOptions) {
  const [n, K] = shape,
    size = a.length / (n * K);
  const seed = new Float32Array(a.length),
    channels = new Int32Array(n),
    activations = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let k = typeof o.channel === 'number' ? o.channel : o.channel ? o.channel[i] : -1;
    if (k === -1) {
      let best = -Infinity;
      for (let c = 0; c < K; c++)
        for (let j = 0; j < size; j++) if (a[(i * K + c) * size + j] > best) [best, k] = [a[(i * K + c) * size + j], c];
    }
    if (!(Number.isInteger(k) && k >= 0 && k < K)) throw new ArgumentError(`projection: channel ${k} for image ${i} is not in [0, ${K})`);
    const base = (i * K + k) * size;
    let at = 0;
    for (let j = 1; j < size; j++) if (a[base + j] > a[base + at]) at = j;
    if (o.keep === 'map') seed.set(a.subarray(base, base + size), base);
    else seed[base + at] = a[base + at];
    channels[i] = k;
    activations[i] = a[base + at];
  }
  return { seed, channels, activations };
}

/** Projects each image's chosen activation at `layer` back to the input with `rule`. */
export function project(model: Module, x: Tensor, o: ProjectionOptions & { rule: ProjectionRule }): Projection {
  checkImages(x, o.rule);
  return explainMode(model, () =>
    tidy(() => {
      const input = ops.detach(x).requiresGrad_(true);
      let captured: Tensor | null = null;
      const handles = hookReLUs(model, o.rule);
      handles.push(registerForwardHook(model, o.layer, (out) => void (captured = out)));
      try {
        model.call(input);
        if (!captured) throw new ArgumentError(`${o.rule}: module '${o.layer}' did not run in the forward pass`);
        const a = captured as Tensor;
        if (a.ndim < 2 || a.shape[0] !== x.shape[0])
          throw new ShapeError(`${o.rule}: module '${o.layer}' gives ${shapeStr(a.shape)}, expected [N, K, ...]`);
        const { seed, channels, activations } = projectionSeed(a.data() as Float32Array, a.shape.slice(), o);
        backward(a, ops.tensor(seed, a.shape.slice(), { device: a.device }));
        const images = input.grad!.data() as Float32Array;
        input.grad!.dispose();
        return { images, shape: x.shape.slice(), channels, activations };
      } finally {
        removeAll(handles);
      }
    }),
  );
}

export const deconvnet = (model: Module, x: Tensor, o: ProjectionOptions) => project(model, x, { ...o, rule: 'deconvnet' });
export const guidedBackprop = (model: Module, x: Tensor, o: ProjectionOptions) => project(model, x, { ...o, rule: 'guided' });

/** The highest activation of each feature map at `layer` per image: [n, K] (for top-k image searches). */
export function channelMaxima(model: Module, x: Tensor, layer: string, batchSize = 512): { values: Float32Array; channels: number } {
  checkImages(x, 'channelMaxima');
  const n = x.shape[0];
  let values: Float32Array | null = null,
    K = 0;
  explainMode(model, () => {
    for (let s = 0; s < n; s += batchSize) {
      const e = Math.min(n, s + batchSize);
      tidy(() => {
        const handle = registerForwardHook(model, layer, (out) => {
          const a = out.data() as Float32Array;
          K = out.shape[1];
          const size = a.length / ((e - s) * K);
          values ??= new Float32Array(n * K);
          for (let c = 0; c < (e - s) * K; c++) {
            let m = -Infinity;
            for (let j = 0; j < size; j++) m = Math.max(m, a[c * size + j]);
            values[s * K + c] = m;
          }
        });
        try {
          noGrad(() => model.call(ops.slice(x, 0, s, e)));
        } finally {
          handle.remove();
        }
      });
    }
  });
  return { values: values!, channels: K };
}
