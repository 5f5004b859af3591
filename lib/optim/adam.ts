// torch.optim.Adam and AdamW, fused over each group's parameters.
import { ArgumentError } from '../core/errors.js';
import { adamStep } from '../core/ops/optim.js';
import { Optimizer } from './optimizer.js';
import type { ParamGroup, Params } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  protected readonly decoupled: boolean = false;

  constructor(params: Params, opts: AdamOptions = {}) {
    super(params, { lr: opts.lr ?? 1e-3, weightDecay: opts.weightDecay });
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    if (!this.betas.every((b) => b >= 0 && b < 1)) throw new ArgumentError(`Adam: betas must be in [0, 1), got ${this.betas}`);
    if (!(this.eps > 0)) throw new ArgumentError(`Adam: eps must be > 0, got ${this.eps}`);
  }

  protected override stateBufferNames(): string[] {
    return ['exp_avg', 'exp_avg_sq'];
  }

  /** The first group's weight decay (groups may each have their own). */
  get weightDecay(): number {
    return this.paramGroups[0].weightDecay;
  }

  protected update(g: ParamGroup, idx: number[]): void {
    const m = this.buffer('exp_avg'),
      v = this.buffer('exp_avg_sq');
    adamStep(
      idx.map((i) => this.params[i]),
      idx.map((i) => this.params[i].grad!),
      idx.map((i) => m[i]),
      idx.map((i) => v[i]),
      {
        lr: g.lr,
        beta1: this.betas[0],
        beta2: this.betas[1],
        eps: this.eps,
        weightDecay: g.weightDecay,
        decoupled: this.decoupled,
        step: this.stepCount + 1,
      },
    );
  }
}

/** AdamW: weight decay applied to the weights directly (default 1e-2, as PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;
  constructor(params: Params, opts: AdamOptions = {}) {
    super(params, { weightDecay: 1e-2, ...opts });
  }
}
