// An exponential moving average of a model's parameters (Polyak averaging; PyTorch users know it
// as torch.optim.swa_utils.AveragedModel with an EMA, or timm's ModelEma). After every optimizer
// step: avg <- d * avg + (1 - d) * param, with d = min(decay, (1 + t) / (10 + t)) at update t, a
// warm-up that keeps the first averages from leaning on the random initialisation. Evaluated
// with the averaged weights, a model trained at a constant learning rate sits nearer the middle
// of the region its last steps wander over, which usually scores better than the last step.
// Only parameters are averaged; buffers such as BatchNorm's running statistics are the live ones.
import { ArgumentError } from '../core/errors.js';
import { noGrad } from '../core/autograd/engine.js';
import type { Module } from '../nn/module.js';
import { emaUpdate } from '../core/ops/optim.js';
import { clone, copyInto } from '../core/ops/convert.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';

export class WeightAverage {
  private readonly params: Tensor[];
  private readonly avg: Tensor[];
  /** Updates made so far (drives the warm-up of the decay). */
  updates = 0;

  constructor(
    model: Module,
    readonly decay = 0.998,
  ) {
    if (!(decay > 0 && decay < 1)) throw new ArgumentError(`WeightAverage: decay must be in (0, 1), got ${decay}`);
    this.params = model.parameters();
    this.avg = noGrad(() => this.params.map((p) => clone(p).keep()));
  }

  /** Folds the current parameters into the average (call after each optimizer step). */
  update(): void {
    this.updates++;
    const d = Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
    // One native call for every tensor, bit for bit add(mul(avg, d), mul(p, 1 - d)) per tensor.
    emaUpdate(this.avg, this.params, d, 1 - d);
  }

  /** Runs fn with the averaged weights in the model, then puts the trained weights back. */
  withAveraged<T>(fn: () => T): T {
    this.swap();
    try {
      return fn();
    } finally {
      this.swap();
    }
  }

  /** Writes the averaged weights into the model for good (e.g. before saving the final model). */
  copyToModel(): void {
    noGrad(() => this.params.forEach((p, i) => copyInto(p, this.avg[i])));
  }

  /** The averaged tensors (parameter order) and the update count, for checkpoints. */
  state(): { updates: number; tensors: Tensor[] } {
    return { updates: this.updates, tensors: this.avg };
  }

  loadState(s: { updates: number; tensors: Tensor[] }): void {
    if (s.tensors.length !== this.avg.length)
      throw new ArgumentError(`WeightAverage: the saved average has ${s.tensors.length} tensors, the model ${this.avg.length} parameters`);
    s.tensors.forEach((t, i) => {
      if (t.shape.join() !== this.avg[i].shape.join())
        throw new ArgumentError(
          `WeightAverage: saved tensor ${i} has shape [${t.shape.join(', ')}], parameter ${i} [${this.avg[i].shape.join(', ')}]`,
        );
      copyInto(this.avg[i], t);
    });
    this.updates = s.updates;
  }

  dispose(): void {
    for (const t of this.avg) t.dispose();
  }

  private swap(): void {
    noGrad(() =>
      tidy(() =>
        this.params.forEach((p, i) => {
          const trained = clone(p);
          copyInto(p, this.avg[i]);
          copyInto(this.avg[i], trained);
        }),
      ),
    );
  }
}
