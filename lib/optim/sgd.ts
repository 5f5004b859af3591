// torch.optim.SGD: momentum, dampening, Nesterov and L2 weight decay, fused over each group's parameters.
import { ArgumentError } from '../core/errors.js';
import { sgdStep } from '../core/ops/optim.js';
import { Optimizer } from './optimizer.js';
import type { ParamGroup, Params } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(params: Params, opts: SgdOptions) {
    super(params, opts);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.momentum < 0) throw new ArgumentError(`SGD: momentum must be >= 0, got ${this.momentum}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new ArgumentError('SGD: Nesterov momentum requires momentum > 0 and dampening = 0');
  }

  protected override stateBufferNames(): string[] {
    return this.momentum > 0 ? ['momentum_buffer'] : [];
  }

  /** The first group's weight decay (groups may each have their own). */
  get weightDecay(): number {
    return this.paramGroups[0].weightDecay;
  }

  protected update(g: ParamGroup, idx: number[]): void {
    const bufs = this.momentum > 0 ? this.buffer('momentum_buffer') : null;
    sgdStep(
      idx.map((i) => this.params[i]),
      idx.map((i) => this.params[i].grad!),
      bufs ? idx.map((i) => bufs[i]) : null,
      {
        lr: g.lr,
        momentum: this.momentum,
        dampening: this.dampening,
        weightDecay: g.weightDecay,
        nesterov: this.nesterov,
        firstStep: this.stepCount === 0,
      },
    );
  }
}
