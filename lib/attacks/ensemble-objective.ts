// Adversarial training of batched ensembles (lib/ensemble fitBatched's objective hook), the
// Deep Ensembles recipe (Lakshminarayanan et al. 2017, section 2.3): every member minimises
// J(x, y) + J(x', y) with x' = x + eps * sign(grad_x J(x, y)) against its own current weights,
// eps = 1% of the input range; the random-sign control uses x' = x + eps * random sign instead.
// The stacked input holds each member's own batch in its own channels, and member m's input
// reaches only member m's loss, so one input gradient of the summed loss is every member's own.
import { backward } from '../core/autograd/engine.js';
import type { Objective } from '../ensemble/objective.js';
import { ArgumentError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import type { RandomGenerator } from '../core/random.js';
import type { Perturbation } from './adversarial-training.js';
import { randomSign, signStep } from './fgsm.js';
import { checkNonNegative, checkRange } from './input-gradient.js';

export interface EnsembleAdversarialOptions {
  /** Perturbation size in the units of the training inputs (the paper: 1% of their range). */
  eps: number;
  perturbation: Perturbation;
  /** Valid range of the training inputs, which x' is clipped to (normalised pixels: [-mean/std, (1-mean)/std]). */
  range: readonly [number, number];
  /** Stream of the random signs ('random-sign'). */
  generator?: RandomGenerator;
}

/** The objective J(x, y) + J(x', y) for fitBatched (each J the sum over members of their mean cross-entropy). */
export function ensembleAdversarialObjective(o: EnsembleAdversarialOptions): Objective {
  checkNonNegative(o.eps, 'eps', 'ensembleAdversarialObjective');
  const range = checkRange(o.range, 'ensembleAdversarialObjective');
  if (o.perturbation !== 'fgsm' && o.perturbation !== 'random-sign')
    throw new ArgumentError(`ensembleAdversarialObjective: perturbation must be 'fgsm' or 'random-sign', got '${o.perturbation}'`);
  if (o.perturbation === 'random-sign') {
    return (ctx) => {
      const output = ctx.model.forward(ctx.x);
      const perturbed = randomSign(ctx.x, { eps: o.eps, range, generator: o.generator });
      return { loss: ops.add(ctx.loss(output), ctx.loss(ctx.model.forward(perturbed))), output };
    };
  }
  return (ctx) => {
    // One clean pass in training mode with the input as a leaf: its backward gives the input
    // gradient FGSM needs AND the clean term's parameter gradients, so the clean batch goes
    // through the network (and its batch norm) once. The returned loss has the value J(x) + J(x')
    // but carries the graph of J(x') only (the clean term detached): fitBatched's backward adds
    // its gradients to the clean ones already there, the gradient of J(x) + J(x') in total.
    const leaf = ops.clone(ops.detach(ctx.x)).requiresGrad_(true);
    const output = ctx.model.forward(leaf);
    const clean = ctx.loss(output);
    backward(clean);
    const g = leaf.grad!;
    leaf.grad = null; // kept out of every scope by backward: freed here
    let perturbed;
    try {
      perturbed = signStep(ctx.x, g, o.eps, false, range);
    } finally {
      g.dispose();
    }
    return { loss: ops.add(ops.detach(clean), ctx.loss(ctx.model.forward(perturbed))), output };
  };
}
