// The registry of studies `nnlab run <study>` knows: id -> presets and run(config).
import { ABLATION_FULL, ABLATION_QUICK, run as runAblation } from './ablation.js';
import { ADV_TRAIN_FULL, ADV_TRAIN_QUICK, run as runAdvTrain } from './adv-train.js';
import { BASELINES_FULL, BASELINES_QUICK, run as runBaselines } from './baselines.js';
import { CNN_FULL, CNN_QUICK, run as runCnn } from './cnn.js';
import { DROPOUT_FULL, DROPOUT_QUICK, run as runDropout } from './dropout.js';
import type { BaseConfig, RunHooks } from './shared/common.js';
import { CONFIDENCE_FULL, CONFIDENCE_QUICK, run as runConfidence } from './confidence.js';
import { ENSEMBLE_NOISE_FULL, ENSEMBLE_NOISE_QUICK, run as runEnsembleNoise } from './ensemble-noise.js';
import { ENSEMBLE_SIZE_FULL, ENSEMBLE_SIZE_QUICK, run as runEnsembleSize } from './ensemble-size.js';
import { MULTIMODAL_FULL, MULTIMODAL_QUICK, run as runMultimodal } from './multimodal.js';
import { FGSM_FULL, FGSM_QUICK, run as runFgsm } from './fgsm.js';
import { NOISE_FULL, NOISE_QUICK, run as runNoise } from './noise.js';
import { OOD_FULL, OOD_QUICK, run as runOod } from './ood.js';
import { ROTATION_FULL, ROTATION_QUICK, run as runRotation } from './rotation.js';
import { RESNET_PRETRAIN_FULL, RESNET_PRETRAIN_QUICK, run as runResnetPretrain } from './resnet-pretrain.js';
import type { StudySummary } from '../report/run-folder.js';

export interface StudyEntry<C extends BaseConfig = BaseConfig> {
  id: string;
  description: string;
  full: C;
  quick: C;
  run(config: C, hooks?: RunHooks): Promise<StudySummary>;
  /** Extra command-line overrides this study accepts beyond the common ones. */
  /** epochs: the seed-000 members' training epochs (--epochs; resnet-pretrain: the report-protocol runs' epochs);
   *  members: how many of them to use (--members); variants: resnet-pretrain's variant list (--variants). */
  accepts: { k?: boolean; weights?: boolean; epochs?: boolean; members?: boolean; oodDir?: boolean; variants?: boolean };
}

function entry<C extends BaseConfig>(e: StudyEntry<C>): StudyEntry<BaseConfig> {
  return e as unknown as StudyEntry<BaseConfig>;
}

export const STUDIES: Record<string, StudyEntry> = {
  cnn: entry({ id: 'cnn', description: 'the seed CNN on MNIST (seed 001)', full: CNN_FULL, quick: CNN_QUICK, run: runCnn, accepts: {} }),
  ablation: entry({ id: 'ablation', description: 'five architecture variants against the seed CNN', full: ABLATION_FULL, quick: ABLATION_QUICK, run: runAblation, accepts: {} }),
  baselines: entry({ id: 'baselines', description: 'exact k-NN and logistic regression against the CNN', full: BASELINES_FULL, quick: BASELINES_QUICK, run: runBaselines, accepts: { k: true } }),
  confidence: entry({ id: 'confidence', description: 'm(x) histograms, quantiles and accuracy per confidence bin', full: CONFIDENCE_FULL, quick: CONFIDENCE_QUICK, run: runConfidence, accepts: { k: true } }),
  'ensemble-size': entry({ id: 'ensemble-size', description: 'deep-ensemble error, NLL and Brier vs the number of members (MNIST MLP)', full: ENSEMBLE_SIZE_FULL, quick: ENSEMBLE_SIZE_QUICK, run: runEnsembleSize, accepts: {} }),
  fgsm: entry({ id: 'fgsm', description: 'FGSM sweeps over eps against logistic regression, the seed CNN, ResNet18 and the 7-member ResNet18 ensemble', full: FGSM_FULL, quick: FGSM_QUICK, run: runFgsm, accepts: { epochs: true } }),
  'adv-train': entry({ id: 'adv-train', description: 'adversarial training of the seed CNN (Goodfellow, Deep Ensembles, random-sign control) against FGSM', full: ADV_TRAIN_FULL, quick: ADV_TRAIN_QUICK, run: runAdvTrain, accepts: {} }),
  'resnet-pretrain': entry({ id: 'resnet-pretrain', description: 'ResNet18 on MNIST: scratch vs pretrained (fc reset), init variants, shuffle (seed 000)', full: RESNET_PRETRAIN_FULL, quick: RESNET_PRETRAIN_QUICK, run: runResnetPretrain, accepts: { weights: true, epochs: true, variants: true } }),
  noise: entry({ id: 'noise', description: 'the single seed-000 ResNet18 under Gaussian noise 0.1..0.5: grids and whole-test-set scores', full: NOISE_FULL, quick: NOISE_QUICK, run: runNoise, accepts: { epochs: true, members: true } }),
  'ensemble-noise': entry({ id: 'ensemble-noise', description: 'the 7-member ResNet18 ensemble vs the best member under Gaussian noise (seed 000)', full: ENSEMBLE_NOISE_FULL, quick: ENSEMBLE_NOISE_QUICK, run: runEnsembleNoise, accepts: { epochs: true, members: true } }),
  ood: entry({ id: 'ood', description: 'single vs ensemble on MNIST vs FashionMNIST / any IDX folder / noise: grids, histograms, AUROC (seed 000)', full: OOD_FULL, quick: OOD_QUICK, run: runOod, accepts: { epochs: true, members: true, oodDir: true } }),
  dropout: entry({ id: 'dropout', description: 'MNIST example CNN with / without dropout, normal and inverted splits: train and test loss per epoch (seed 003)', full: DROPOUT_FULL, quick: DROPOUT_QUICK, run: runDropout, accepts: { epochs: true } }),
  multimodal: entry({ id: 'multimodal', description: 'MNIST image + espeak-ng spoken digit: single modality, early, joint and late fusion, clean and with one modality corrupted (seed 003)', full: MULTIMODAL_FULL, quick: MULTIMODAL_QUICK, run: runMultimodal, accepts: { epochs: true } }),
  rotation: entry({ id: 'rotation', description: 'true-class probability vs rotation 0..180 degrees, per member and ensemble; whole-test-set accuracy vs angle (seed 000)', full: ROTATION_FULL, quick: ROTATION_QUICK, run: runRotation, accepts: { epochs: true, members: true } }),
};

export type { StudySummary } from '../report/run-folder.js';
export type { BaseConfig, RunHooks } from './shared/common.js';
export { RunFolder } from '../report/run-folder.js';
export { knnClassify, bruteForceNeighbours, vote, KNN_TIE_RULES } from '../models/knn.js';
export { loadResnetData, resnetLoader, ResnetLoader, toModelInput } from '../data/resnet-data.js';
export type { ResnetData, ResnetSplit, ResnetDataOptions } from '../data/resnet-data.js';
export { trainResnet, saveResnet, loadResnet, loadBackbone, epochsToReach, SEED000_TRAIN } from '../train/resnet-train.js';
export type { ResnetTrainConfig, TrainedResnet, ResnetMeta, TrainResnetOptions } from '../train/resnet-train.js';
