// FLOPs of a model's Linear and Conv2d layers (multiply-add = 2), counted on one forward pass, for
// the GFLOP/s of user models that do not declare theirs. Each layer's forward is wrapped on the
// instance for that pass only, so layers called directly (not through Sequential) count too.
// Activations, norms, pooling and the optimizer are not counted: the figure is a lower bound.
import { noGrad } from '../../core/autograd/engine.js';
import { randn } from '../../core/ops/creation.js';
import { RandomGenerator } from '../../core/random.js';
import { tidy } from '../../core/scope.js';
import type { Tensor } from '../../core/tensor.js';
import { Conv2d, Linear } from '../../nn/layers.js';
import type { Module } from '../../nn/module.js';
import { perImageFlops } from '../flops.js';

/** Forward and training FLOPs of one input item (training = forward + grad input + grad weight, the first layer's grad input skipped). */
export function countLayerFlops(model: Module, input: readonly number[]): { forward: number; train: number } | null {
  const layers = model
    .namedModules()
    .map(([, m]) => m)
    .filter((m) => m instanceof Linear || m instanceof Conv2d) as (Linear | Conv2d)[];
  if (!layers.length) return null;
  const perLayer: number[] = [];
  for (const m of layers) {
    const own = m.forward;
    (m as { forward: (x: Tensor) => Tensor }).forward = (x: Tensor) => {
      const y = own.call(m, x);
      const w = m.weight.shape;
      perLayer.push((2 * y.numel * w.reduce((a, b) => a * b, 1)) / w[0]);
      return y;
    };
  }
  const training = model.training;
  try {
    model.eval();
    noGrad(() => tidy(() => void model.forward(randn(input, { generator: new RandomGenerator(0) }))));
  } finally {
    for (const m of layers) delete (m as { forward?: unknown }).forward; // back to the prototype's
    model.train(training);
  }
  const f = perImageFlops(perLayer);
  return { forward: f.forward / input[0], train: f.train / input[0] };
}
