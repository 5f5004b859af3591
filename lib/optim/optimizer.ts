// Base of the optimizers: the parameter list, per-parameter state buffers, and a state dict
// for checkpoints. The update itself is one fused native call over every parameter.
import { ArgumentError } from '../core/errors.js';
import { copyInto } from '../core/ops/convert.js';
import { full } from '../core/ops/creation.js';
import { keep } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';

export interface OptimizerState {
  step: number;
  lr: number;
  /** Buffer name -> one tensor per parameter (same order as the parameter list). */
  buffers: Record<string, Tensor[]>;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  lr: number;
  stepCount = 0;
  protected readonly buffers = new Map<string, Tensor[]>();

  constructor(params: Iterable<Tensor>, lr: number) {
    this.params = [...params];
    if (this.params.length === 0) throw new ArgumentError('optimizer: got an empty parameter list');
    if (!(lr >= 0)) throw new ArgumentError(`optimizer: learning rate must be >= 0, got ${lr}`);
    this.params.forEach((p, i) => {
      if (!p.requiresGrad) throw new ArgumentError(`optimizer: parameter ${i} [${p.shape.join(', ')}] does not require gradients`);
    });
    this.lr = lr;
  }

  /** One zero-filled buffer per parameter, created on first use. */
  protected buffer(name: string): Tensor[] {
    let b = this.buffers.get(name);
    if (!b) {
      b = this.params.map((p) => keep(full(p.shape, 0, { device: p.device })));
      this.buffers.set(name, b);
    }
    return b;
  }

  /** Indices of parameters that received a gradient (others are skipped, as in PyTorch). */
  protected withGrad(): number[] {
    return this.params.flatMap((p, i) => (p.grad ? [i] : []));
  }

  abstract step(): void;

  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  stateDict(): OptimizerState {
    return { step: this.stepCount, lr: this.lr, buffers: Object.fromEntries(this.buffers) };
  }

  loadStateDict(s: OptimizerState): void {
    this.stepCount = s.step;
    this.lr = s.lr;
    for (const [name, ts] of Object.entries(s.buffers)) {
      if (ts.length !== this.params.length)
        throw new ArgumentError(`optimizer.loadStateDict: buffer '${name}' has ${ts.length} entries for ${this.params.length} parameters`);
      const own = this.buffer(name);
      ts.forEach((t, i) => copyInto(own[i], t));
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.forEach((t) => t.dispose());
    this.buffers.clear();
  }
}
