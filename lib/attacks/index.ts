// Adversarial examples: attacks in pixel space on any model or ensemble whose forward returns
// logits or log-probabilities, batched evaluation, and adversarial training through fit().
export { PixelSpaceModel } from './pixel-model.js';
export type { PixelStats } from './pixel-model.js';
export { attackLoss, inputGradient, checkBatch } from './input-gradient.js';
export type { GradientOptions } from './input-gradient.js';
export { fgsm, randomSign } from './fgsm.js';
export type { FgsmOptions, RandomSignOptions } from './fgsm.js';
export { pgd, bim } from './pgd.js';
export type { PgdOptions } from './pgd.js';
export { attackInBatches, evaluateAttack } from './evaluate.js';
export type { Attack, AttackEvaluation } from './evaluate.js';
export { AdversarialTrainingLoader } from './adversarial-training.js';
export type { AdversarialTrainingOptions, Perturbation } from './adversarial-training.js';
export { ensembleAdversarialObjective } from './ensemble-objective.js';
export type { EnsembleAdversarialOptions } from './ensemble-objective.js';
