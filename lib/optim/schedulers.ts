// Learning-rate schedules with PyTorch's names, arguments and values. Each sets every parameter
// group's lr from the group's initial lr and a step counter: step() once per epoch (or per batch
// for OneCycleLR and warm-ups counted in batches), as in PyTorch. The value after n calls of step()
// is a closed form of n, so a resumed run that calls step() n times is exactly where it was.
import { ArgumentError } from '../core/errors.js';
import { Optimizer } from './optimizer.js';

/** Base of the closed-form schedules: lr of a group = factor(n) applied to its initial lr. */
export abstract class LRScheduler {
  /** Calls of step() so far (PyTorch's last_epoch). */
  stepCount = 0;
  constructor(protected readonly opt: Optimizer) {}

  /** The lr of a group whose initial lr is `base`, after `n` steps. */
  protected abstract lrAt(base: number, n: number): number;

  step(): void {
    this.stepCount++;
    for (const g of this.opt.paramGroups) g.lr = this.lrAt(g.initialLr, this.stepCount);
  }

  /** Every group's current learning rate (PyTorch's get_last_lr()). */
  lastLr(): number[] {
    return this.opt.paramGroups.map((g) => g.lr);
  }
}

function positiveInt(name: string, v: number): void {
  if (!(Number.isInteger(v) && v > 0)) throw new ArgumentError(`${name} must be a positive integer, got ${v}`);
}

/** lr * gamma every stepSize steps. */
export class StepLR extends LRScheduler {
  constructor(
    opt: Optimizer,
    readonly stepSize: number,
    readonly gamma = 0.1,
  ) {
    super(opt);
    positiveInt('StepLR: stepSize', stepSize);
  }
  protected lrAt(base: number, n: number): number {
    return base * this.gamma ** Math.floor(n / this.stepSize);
  }
}

/** lr * gamma at each milestone passed. */
export class MultiStepLR extends LRScheduler {
  readonly milestones: readonly number[];
  constructor(
    opt: Optimizer,
    milestones: readonly number[],
    readonly gamma = 0.1,
  ) {
    super(opt);
    if (!milestones.every((m, i) => Number.isInteger(m) && m > 0 && (i === 0 || m > milestones[i - 1])))
      throw new ArgumentError(`MultiStepLR: milestones must be increasing positive integers, got [${milestones.join(', ')}]`);
    this.milestones = [...milestones];
  }
  protected lrAt(base: number, n: number): number {
    return base * this.gamma ** this.milestones.filter((m) => m <= n).length;
  }
}

/** lr * gamma^n. */
export class ExponentialLR extends LRScheduler {
  constructor(
    opt: Optimizer,
    readonly gamma: number,
  ) {
    super(opt);
    if (!(gamma > 0)) throw new ArgumentError(`ExponentialLR: gamma must be > 0, got ${gamma}`);
  }
  protected lrAt(base: number, n: number): number {
    return base * this.gamma ** n;
  }
}

/** Half a cosine from the initial lr down to etaMin over tMax steps. */
export class CosineAnnealingLR extends LRScheduler {
  constructor(
    opt: Optimizer,
    readonly tMax: number,
    readonly etaMin = 0,
  ) {
    super(opt);
    positiveInt('CosineAnnealingLR: tMax', tMax);
  }
  protected lrAt(base: number, n: number): number {
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * n) / this.tMax))) / 2;
  }
}

/** Linear warm-up: the factor goes from startFactor to endFactor over totalIters steps. */
export class LinearLR extends LRScheduler {
  constructor(
    opt: Optimizer,
    readonly startFactor = 1 / 3,
    readonly endFactor = 1,
    readonly totalIters = 5,
  ) {
    super(opt);
    if (!(startFactor > 0 && startFactor <= 1)) throw new ArgumentError(`LinearLR: startFactor must be in (0, 1], got ${startFactor}`);
    if (!(endFactor >= 0 && endFactor <= 1)) throw new ArgumentError(`LinearLR: endFactor must be in [0, 1], got ${endFactor}`);
    positiveInt('LinearLR: totalIters', totalIters);
    for (const g of opt.paramGroups) g.lr = g.initialLr * startFactor;
  }
  protected lrAt(base: number, n: number): number {
    return base * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(n, this.totalIters)) / this.totalIters);
  }
}

export interface OneCycleOptions {
  /** Fraction of the steps spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** Initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
}

/**
 * The 1cycle policy with cosine annealing, stepped once per batch: maxLr / divFactor up to maxLr
 * over pctStart of totalSteps, then down to the initial lr / finalDivFactor. Momentum is not cycled.
 */
export class OneCycleLR extends LRScheduler {
  private readonly maxLrs: number[];
  private readonly pctStart: number;
  private readonly divFactor: number;
  private readonly finalDivFactor: number;
  constructor(
    opt: Optimizer,
    maxLr: number | readonly number[],
    readonly totalSteps: number,
    o: OneCycleOptions = {},
  ) {
    super(opt);
    positiveInt('OneCycleLR: totalSteps', totalSteps);
    this.maxLrs = typeof maxLr === 'number' ? opt.paramGroups.map(() => maxLr) : [...maxLr];
    if (this.maxLrs.length !== opt.paramGroups.length)
      throw new ArgumentError(`OneCycleLR: ${this.maxLrs.length} max learning rates for ${opt.paramGroups.length} parameter groups`);
    this.pctStart = o.pctStart ?? 0.3;
    this.divFactor = o.divFactor ?? 25;
    this.finalDivFactor = o.finalDivFactor ?? 1e4;
    if (!(this.pctStart > 0 && this.pctStart < 1)) throw new ArgumentError(`OneCycleLR: pctStart must be in (0, 1), got ${this.pctStart}`);
    opt.paramGroups.forEach((g, i) => (g.lr = this.maxLrs[i] / this.divFactor));
  }
  protected lrAt(): number {
    throw new Error('unreachable: OneCycleLR computes per group');
  }
  override step(): void {
    this.stepCount++;
    if (this.stepCount > this.totalSteps)
      throw new ArgumentError(`OneCycleLR: stepped ${this.stepCount} times with totalSteps ${this.totalSteps}`);
    const n = this.stepCount;
    const peak = this.pctStart * this.totalSteps - 1,
      end = this.totalSteps - 1;
    const anneal = (a: number, b: number, pct: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1);
    this.opt.paramGroups.forEach((g, i) => {
      const initial = this.maxLrs[i] / this.divFactor,
        min = initial / this.finalDivFactor;
      g.lr = n <= peak ? anneal(initial, this.maxLrs[i], n / peak) : anneal(this.maxLrs[i], min, (n - peak) / (end - peak));
    });
  }
}

export interface PlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  /** Relative improvement needed to count as better (default 1e-4). */
  threshold?: number;
  cooldown?: number;
  minLr?: number;
}

/** Multiplies the lr by factor when the metric passed to step(metric) stops improving for `patience` steps. */
export class ReduceLROnPlateau {
  private best: number;
  private bad = 0;
  private cool = 0;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly cooldown: number;
  readonly minLr: number;
  constructor(
    private readonly opt: Optimizer,
    o: PlateauOptions = {},
  ) {
    this.mode = o.mode ?? 'min';
    this.factor = o.factor ?? 0.1;
    this.patience = o.patience ?? 10;
    this.threshold = o.threshold ?? 1e-4;
    this.cooldown = o.cooldown ?? 0;
    this.minLr = o.minLr ?? 0;
    if (!(this.factor > 0 && this.factor < 1)) throw new ArgumentError(`ReduceLROnPlateau: factor must be in (0, 1), got ${this.factor}`);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }
  step(metric: number): void {
    if (!Number.isFinite(metric)) throw new ArgumentError(`ReduceLROnPlateau: the metric must be a finite number, got ${metric}`);
    const better = this.mode === 'min' ? metric < this.best * (1 - this.threshold) : metric > this.best * (1 + this.threshold);
    if (better) {
      this.best = metric;
      this.bad = 0;
    } else {
      this.bad++;
    }
    if (this.cool > 0) {
      this.cool--;
      this.bad = 0;
    }
    if (this.bad > this.patience) {
      for (const g of this.opt.paramGroups) {
        const next = Math.max(g.lr * this.factor, this.minLr);
        if (g.lr - next > 1e-8) g.lr = next;
      }
      this.cool = this.cooldown;
      this.bad = 0;
    }
  }
}
