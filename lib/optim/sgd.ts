// torch.optim.SGD: momentum, dampening, Nesterov and L2 weight decay, fused over all parameters.
import { ArgumentError } from '../core/errors.js';
import { sgdStep } from '../core/ops/optim.js';
import { Tensor } from '../core/tensor.js';
import { Optimizer } from './optimizer.js';

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
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Iterable<Tensor>, opts: SgdOptions) {
    super(params, opts.lr);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.momentum < 0) throw new ArgumentError(`SGD: momentum must be >= 0, got ${this.momentum}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0))
      throw new ArgumentError('SGD: Nesterov momentum requires momentum > 0 and dampening = 0');
  }

  protected override stateBufferNames(): string[] {
    return this.momentum > 0 ? ['momentum_buffer'] : [];
  }

  step(): void {
    const idx = this.withGrad();
    if (!idx.length) return;
    const bufs = this.momentum > 0 ? this.buffer('momentum_buffer') : null;
    sgdStep(idx.map((i) => this.params[i]), idx.map((i) => this.params[i].grad!), bufs ? idx.map((i) => bufs[i]) : null, {
      lr: this.lr, momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay,
      nesterov: this.nesterov, firstStep: this.stepCount === 0,
    });
    this.stepCount++;
  }
}
