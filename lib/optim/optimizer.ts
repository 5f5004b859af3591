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

  /** The buffers step() keeps once it has run (a checkpoint taken after a step must hold them all). */
  protected stateBufferNames(): string[] {
    return [];
  }

  /**
   * Restores step count, learning rate and buffers. Everything is checked before anything is
   * copied: after a step every buffer must be there (a missing one would silently restart from
   * zeros), with one float32 tensor per parameter of the parameter's shape.
   */
  loadStateDict(s: OptimizerState): void {
    if (!(Number.isInteger(s.step) && s.step >= 0)) throw new ArgumentError(`optimizer.loadStateDict: step must be a non-negative integer, got ${s.step}`);
    if (!(Number.isFinite(s.lr) && s.lr >= 0)) throw new ArgumentError(`optimizer.loadStateDict: lr must be a finite number >= 0, got ${s.lr}`);
    const expected = this.stateBufferNames();
    const missing = s.step > 0 ? expected.filter((n) => !s.buffers[n]) : [];
    const unexpected = Object.keys(s.buffers).filter((n) => !expected.includes(n));
    if (missing.length || unexpected.length)
      throw new ArgumentError(`optimizer.loadStateDict: after ${s.step} steps the state needs buffers [${expected.join(', ')}]; missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    for (const [name, ts] of Object.entries(s.buffers)) {
      if (ts.length !== this.params.length || ts.some((t) => !t))
        throw new ArgumentError(`optimizer.loadStateDict: buffer '${name}' has ${ts.filter((t) => t).length} entries for ${this.params.length} parameters`);
      ts.forEach((t, i) => {
        const p = this.params[i];
        if (t.dtype !== 'float32' || t.shape.join() !== p.shape.join())
          throw new ArgumentError(`optimizer.loadStateDict: buffer '${name}' ${i} is ${t.dtype} [${t.shape.join(', ')}], expected float32 [${p.shape.join(', ')}]`);
      });
    }
    this.stepCount = s.step;
    this.lr = s.lr;
    for (const [name, ts] of Object.entries(s.buffers)) {
      const own = this.buffer(name);
      ts.forEach((t, i) => copyInto(own[i], t));
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.forEach((t) => t.dispose());
    this.buffers.clear();
  }
}
