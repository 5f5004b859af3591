// Learning-rate schedules, stepped once per epoch like PyTorch's schedulers.
import { Optimizer } from './optimizer.js';

export class StepLR {
  private epoch = 0;
  private readonly base: number;
  constructor(private readonly opt: Optimizer, readonly stepSize: number, readonly gamma = 0.1) {
    this.base = opt.lr;
  }
  step(): void {
    this.epoch++;
    this.opt.lr = this.base * this.gamma ** Math.floor(this.epoch / this.stepSize);
  }
}

export class CosineAnnealingLR {
  private epoch = 0;
  private readonly base: number;
  constructor(private readonly opt: Optimizer, readonly tMax: number, readonly etaMin = 0) {
    this.base = opt.lr;
  }
  step(): void {
    this.epoch++;
    this.opt.lr = this.etaMin + ((this.base - this.etaMin) * (1 + Math.cos((Math.PI * this.epoch) / this.tMax))) / 2;
  }
}
