// Base of the optimizers: parameter groups (PyTorch's param_groups, each with its own learning
// rate and weight decay), per-parameter state buffers, and a state dict for checkpoints. The
// update itself is one fused native call per group. step() also ends a training step for the
// memory of loops written without tidy() (lib/core/steps.ts).
import { ArgumentError } from '../core/errors.js';
import { copyInto } from '../core/ops/convert.js';
import { full } from '../core/ops/creation.js';
import { endStep, keep } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';

/** A group of parameters with its own hyper-parameters (unset ones take the optimizer's). */
export interface ParamGroupSpec {
  params: Iterable<Tensor>;
  lr?: number;
  weightDecay?: number;
}

/** What an optimizer accepts: parameters, or groups of them (PyTorch's param_groups). */
export type Params = Iterable<Tensor> | readonly ParamGroupSpec[];

export interface ParamGroup {
  /** Positions of the group's parameters in optimizer.params. */
  readonly indices: readonly number[];
  lr: number;
  weightDecay: number;
  /** The learning rate the group started with (what schedules scale). */
  readonly initialLr: number;
}

function isGroupList(p: Params): p is readonly ParamGroupSpec[] {
  return Array.isArray(p) && p.length > 0 && !(p[0] instanceof Tensor);
}

export interface OptimizerState {
  step: number;
  lr: number;
  /** Each group's learning rate (absent in checkpoints from before groups: every group takes lr). */
  groupLrs?: number[];
  /** Buffer name -> one tensor per parameter (same order as the parameter list). */
  buffers: Record<string, Tensor[]>;
}

export abstract class Optimizer {
  /** Every parameter, group after group. */
  readonly params: Tensor[];
  readonly paramGroups: ParamGroup[];
  stepCount = 0;
  protected readonly buffers = new Map<string, Tensor[]>();

  constructor(params: Params, defaults: { lr: number; weightDecay?: number }) {
    const specs: ParamGroupSpec[] = isGroupList(params) ? [...params] : [{ params: params as Iterable<Tensor> }];
    this.params = [];
    this.paramGroups = specs.map((g, gi) => {
      const lr = g.lr ?? defaults.lr,
        weightDecay = g.weightDecay ?? defaults.weightDecay ?? 0;
      const where = specs.length > 1 ? ` (group ${gi})` : '';
      if (!(lr >= 0)) throw new ArgumentError(`optimizer: learning rate must be >= 0, got ${lr}${where}`);
      if (!(weightDecay >= 0)) throw new ArgumentError(`optimizer: weight decay must be >= 0, got ${weightDecay}${where}`);
      const first = this.params.length;
      this.params.push(...g.params);
      return { indices: this.params.slice(first).map((_, i) => first + i), lr, weightDecay, initialLr: lr };
    });
    if (this.params.length === 0) throw new ArgumentError('optimizer: got an empty parameter list');
    if (new Set(this.params).size !== this.params.length)
      throw new ArgumentError('optimizer: a parameter appears in more than one place (groups must not overlap)');
    this.params.forEach((p, i) => {
      if (!p.requiresGrad) throw new ArgumentError(`optimizer: parameter ${i} [${p.shape.join(', ')}] does not require gradients`);
      // What an optimizer updates lives as long as it does, whichever scope or training step made it.
      keep(p);
    });
  }

  /** The first group's learning rate; setting it sets every group's (use paramGroups for one). */
  get lr(): number {
    return this.paramGroups[0].lr;
  }
  set lr(v: number) {
    for (const g of this.paramGroups) g.lr = v;
  }

  /** Updates the parameters of one group that have a gradient (`indices` into params). */
  protected abstract update(group: ParamGroup, indices: number[]): void;

  /** One update of every parameter that received a gradient; ends the training step (see above). */
  step(): void {
    const withGrad = new Set(this.withGrad());
    let any = false;
    for (const g of this.paramGroups) {
      const idx = g.indices.filter((i) => withGrad.has(i));
      if (idx.length === 0) continue;
      this.update(g, idx);
      any = true;
    }
    if (any) this.stepCount++;
    endStep();
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

  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  stateDict(): OptimizerState {
    return { step: this.stepCount, lr: this.lr, groupLrs: this.paramGroups.map((g) => g.lr), buffers: Object.fromEntries(this.buffers) };
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
    if (!(Number.isInteger(s.step) && s.step >= 0))
      throw new ArgumentError(`optimizer.loadStateDict: step must be a non-negative integer, got ${s.step}`);
    if (!(Number.isFinite(s.lr) && s.lr >= 0))
      throw new ArgumentError(`optimizer.loadStateDict: lr must be a finite number >= 0, got ${s.lr}`);
    const expected = this.stateBufferNames();
    const missing = s.step > 0 ? expected.filter((n) => !s.buffers[n]) : [];
    const unexpected = Object.keys(s.buffers).filter((n) => !expected.includes(n));
    if (missing.length || unexpected.length)
      throw new ArgumentError(
        `optimizer.loadStateDict: after ${s.step} steps the state needs buffers [${expected.join(', ')}]; missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`,
      );
    for (const [name, ts] of Object.entries(s.buffers)) {
      if (ts.length !== this.params.length || ts.some((t) => !t))
        throw new ArgumentError(
          `optimizer.loadStateDict: buffer '${name}' has ${ts.filter((t) => t).length} entries for ${this.params.length} parameters`,
        );
      ts.forEach((t, i) => {
        const p = this.params[i];
        if (t.dtype !== 'float32' || t.shape.join() !== p.shape.join())
          throw new ArgumentError(
            `optimizer.loadStateDict: buffer '${name}' ${i} is ${t.dtype} [${t.shape.join(', ')}], expected float32 [${p.shape.join(', ')}]`,
          );
      });
    }
    this.stepCount = s.step;
    this.lr = s.lr;
    if (s.groupLrs?.length === this.paramGroups.length) s.groupLrs.forEach((lr, i) => (this.paramGroups[i].lr = lr));
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
