// Adversarial training through the ordinary training loop (fit): a DataLoader whose batches are
// the clean images followed by their perturbed copies, computed against the model being trained
// at the moment the batch is drawn, and the loss w_clean * J(x, y) + w_adv * J(x', y) on them.
//   Goodfellow et al. 2015: x' = FGSM(x), weights [a, 1 - a] with a = 0.5.
//   Lakshminarayanan et al. 2017 (Deep Ensembles): eps = 1% of the input range, weights [1, 1].
//   Control: x' = x + eps * random sign (same size of perturbation, no gradient information).
import { noGrad } from '../core/autograd/engine.js';
import { ArgumentError } from '../core/errors.js';
import { DataLoader } from '../data/loader.js';
import type { Batch, LoaderOptions, TensorDataset } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import * as ops from '../core/ops/index.js';
import type { RandomGenerator as RandomStream } from '../core/random.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { fgsm, randomSign } from './fgsm.js';
import { checkNonNegative, checkRange } from './input-gradient.js';

export type Perturbation = 'fgsm' | 'random-sign';

export interface AdversarialTrainingOptions {
  /** The model being trained: adversarial examples are computed against its current weights. */
  model: Module;
  eps: number;
  perturbation: Perturbation;
  /** [weight of the clean loss, weight of the perturbed loss]; each loss is a batch mean. */
  weights: readonly [number, number];
  range?: readonly [number, number];
  /** Stream of the random signs (perturbation 'random-sign'). */
  generator?: RandomStream;
}

export class AdversarialTrainingLoader extends DataLoader {
  /** The targets of the batch last yielded: the loss recognises its own mixed batches by them. */
  private current: { y: Tensor; clean: number } | null = null;
  private readonly range: [number, number];

  constructor(
    dataset: TensorDataset,
    opts: LoaderOptions,
    readonly adv: AdversarialTrainingOptions,
  ) {
    super(dataset, opts);
    checkNonNegative(adv.eps, 'eps', 'AdversarialTrainingLoader');
    this.range = checkRange(adv.range, 'AdversarialTrainingLoader');
    const [wc, wa] = adv.weights;
    if (!(wc >= 0 && wa >= 0 && wc + wa > 0 && Number.isFinite(wc + wa)))
      throw new ArgumentError(`AdversarialTrainingLoader: weights must be two finite numbers >= 0, not both 0, got [${wc}, ${wa}]`);
    if (adv.perturbation !== 'fgsm' && adv.perturbation !== 'random-sign')
      throw new ArgumentError(`AdversarialTrainingLoader: perturbation must be 'fgsm' or 'random-sign', got '${adv.perturbation}'`);
  }

  /** Batches of 2B rows: the B clean images, then their perturbed copies; labels repeated. */
  override *batches(epoch = 0, from = 0): Generator<Batch> {
    for (const b of super.batches(epoch, from)) {
      const mixed = tidy(() => {
        // The gradient of the training-mode loss (keepMode): the J(theta, x, y) being minimised.
        const perturbed =
          this.adv.perturbation === 'fgsm'
            ? fgsm(this.adv.model, b.x, b.y, { eps: this.adv.eps, range: this.range, keepMode: true })
            : randomSign(b.x, { eps: this.adv.eps, range: this.range, generator: this.adv.generator });
        return noGrad(() => ({ x: ops.concat([b.x, perturbed], 0), y: ops.concat([b.y, b.y], 0) }));
      });
      const clean = b.x.shape[0];
      b.x.dispose();
      b.y.dispose();
      this.current = { y: mixed.y, clean };
      yield { x: mixed.x, y: mixed.y, index: b.index };
      this.current = null;
    }
  }

  /**
   * The loss for fit: on this loader's mixed batches w_clean * mean J(clean rows) + w_adv * mean
   * J(perturbed rows); on any other batch (validation) the plain mean cross-entropy.
   */
  readonly lossFn = (output: Tensor, target: Tensor): Tensor => {
    const cur = this.current;
    if (!cur || cur.y !== target) return ops.crossEntropy(output, target);
    const [wc, wa] = this.adv.weights;
    const losses = ops.crossEntropy(output, target, { reduction: 'none' });
    const n = cur.clean,
      device = output.device;
    const w = noGrad(() => ops.concat([ops.full([n], wc / n, { device }), ops.full([target.shape[0] - n], wa / n, { device })], 0));
    return ops.sum(ops.mul(losses, w));
  };
}
