// The 1-D toy of Deep Ensembles (Lakshminarayanan et al. 2017, figure 1): y = x^3 + N(0, 3^2) on
// points drawn uniformly in [-4, 4], and the small networks fitted to it by full-batch Adam:
// one output trained on MSE, or a mean and a variance head trained on the Gaussian NLL (with or
// without the paper's adversarial term), or MSE with dropout for MC-dropout.
import { backward, RandomGenerator, nn, noGrad, ops, optim, tensor, tidy } from '../../index.js';
import type { Tensor } from '../../index.js';
import { withFrozenModel } from '../../attacks/input-gradient.js';
import { gaussianNll, meanAndVariance } from './gaussian-heads.js';

export interface ToyData {
  x: Float32Array;
  y: Float32Array;
}

export const cubic = (x: number) => x * x * x;

/** n points x ~ U[lo, hi], y = x^3 + N(0, noiseStd^2), from a seeded generator. */
export function toyData(n: number, noiseStd: number, range: [number, number], seed: number): ToyData {
  const g = new RandomGenerator(seed);
  return tidy(() => {
    const x = ops.uniform([n], range[0], range[1], { generator: g }).data() as Float32Array;
    const eps = ops.normal([n], 0, noiseStd, { generator: g }).data() as Float32Array;
    return { x: Float32Array.from(x), y: Float32Array.from(x, (v, i) => cubic(v) + eps[i]) };
  });
}

export type ToyObjective = 'mse' | 'nll' | 'nll-adversarial' | 'mse-dropout';

export interface ToyTrainOptions {
  objective: ToyObjective;
  hidden: number;
  steps: number;
  lr: number;
  /** Adversarial step as an absolute input distance (the paper: 1% of the input range). */
  eps: number;
  dropout: number;
  seed: number;
}

/** Linear(1, hidden) ReLU [Dropout] Linear(hidden, 1 or 2): 2 outputs for the NLL objectives. */
export function toyNet(o: ToyTrainOptions): nn.Sequential {
  const g = new RandomGenerator(o.seed);
  const heads = o.objective.startsWith('nll') ? 2 : 1;
  const layers: nn.Module[] = [new nn.Linear(1, o.hidden, { generator: g }), new nn.ReLU()];
  if (o.objective === 'mse-dropout') layers.push(new nn.Dropout(o.dropout, new RandomGenerator(o.seed + 7919)));
  layers.push(new nn.Linear(o.hidden, heads, { generator: g }));
  return new nn.Sequential(...layers);
}

function objectiveLoss(model: nn.Module, o: ToyTrainOptions, x: Tensor, y: Tensor): Tensor {
  if (!o.objective.startsWith('nll')) return nn.mseLoss(model.forward(x), y);
  const nll = (input: Tensor) => {
    const { mean, variance } = meanAndVariance(model.forward(input));
    return gaussianNll(mean, variance, y);
  };
  if (o.objective === 'nll') return nll(x);
  // x' = x + eps * sign(d NLL / d x), the paper's fast-gradient-sign step; loss = NLL(x) + NLL(x').
  const sign = withFrozenModel(model, { keepMode: true }, () =>
    tidy(() => {
      const leaf = ops.clone(ops.detach(x)).requiresGrad_(true);
      backward(nll(leaf));
      const s = ops.sign(leaf.grad!);
      leaf.grad!.dispose();
      leaf.grad = null;
      return s;
    }),
  );
  return ops.add(nll(x), nll(ops.add(x, ops.mul(sign, o.eps))));
}

/** Full-batch Adam on the data; returns the trained network and its loss per step (every 10th). */
export function trainToyNet(d: ToyData, o: ToyTrainOptions): { model: nn.Sequential; losses: number[] } {
  const model = toyNet(o);
  model.train();
  const x = tensor(d.x, [d.x.length, 1]).keep(),
    y = tensor(d.y, [d.y.length, 1]).keep();
  const optimizer = new optim.Adam(model.parameters(), { lr: o.lr });
  const losses: number[] = [];
  for (let step = 0; step < o.steps; step++) {
    tidy(() => {
      const loss = objectiveLoss(model, o, x, y);
      backward(loss);
      optimizer.step();
      if (step % 10 === 0 || step === o.steps - 1) losses.push(loss.item());
    });
    optimizer.zeroGrad();
  }
  optimizer.dispose();
  x.dispose();
  y.dispose();
  return { model, losses };
}

/** A network's outputs at xs: mean and variance (variance 0 for a one-output net). */
export function predictToy(model: nn.Module, xs: Float32Array): { mean: Float32Array; variance: Float32Array } {
  return tidy(() =>
    noGrad(() => {
      const out = model.forward(tensor(xs, [xs.length, 1]));
      if (out.shape[1] === 1) return { mean: Float32Array.from(out.data() as Float32Array), variance: new Float32Array(xs.length) };
      const { mean, variance } = meanAndVariance(out);
      return {
        mean: Float32Array.from(mean.data() as Float32Array),
        variance: Float32Array.from(variance.data() as Float32Array),
      };
    }),
  );
}
