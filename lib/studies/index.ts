// The registry of studies `nnlab run <study>` knows: id -> presets and run(config).
import { ABLATION_FULL, ABLATION_QUICK, run as runAblation } from './ablation.js';
import { AUDIO_FULL, AUDIO_QUICK, run as runAudio } from './audio.js';
import { ADV_TRAIN_FULL, ADV_TRAIN_QUICK, run as runAdvTrain } from './adv-train.js';
import { BINARY_FULL, BINARY_QUICK, run as runBinary } from './binary.js';
import { BASELINES_FULL, BASELINES_QUICK, run as runBaselines } from './baselines.js';
import { CLASS_MAX_FULL, CLASS_MAX_QUICK, run as runClassMax } from './class-max.js';
import { CNN_FULL, CNN_QUICK, run as runCnn } from './cnn.js';
import { DROPOUT_FULL, DROPOUT_QUICK, run as runDropout } from './dropout.js';
import type { BaseConfig, RunHooks } from './shared/common.js';
import type { StudyGraph } from './shared/graph.js';
import { seed000Graph } from './shared/seed000-graph.js';
import { CONFIDENCE_FULL, CONFIDENCE_QUICK, run as runConfidence } from './confidence.js';
import { ENSEMBLE_NOISE_FULL, ENSEMBLE_NOISE_QUICK, run as runEnsembleNoise } from './ensemble-noise.js';
import { ENSEMBLE_SIZE_FULL, ENSEMBLE_SIZE_QUICK, run as runEnsembleSize } from './ensemble-size.js';
import { MULTIMODAL_FULL, MULTIMODAL_QUICK, run as runMultimodal } from './multimodal.js';
import { FGSM_FULL, FGSM_QUICK, run as runFgsm } from './fgsm.js';
import { LINREG_FULL, LINREG_QUICK, run as runLinreg } from './linreg.js';
import { MODULES_FULL, MODULES_QUICK, run as runModules } from './modules.js';
import { KNN_MAX_FULL, KNN_MAX_QUICK, run as runKnnMax } from './knn-max.js';
import { NOISE_FULL, NOISE_QUICK, run as runNoise } from './noise.js';
import { OOD_FULL, OOD_QUICK, run as runOod } from './ood.js';
import { ROTATION_FULL, ROTATION_QUICK, run as runRotation } from './rotation.js';
import { RESNET_PRETRAIN_FULL, RESNET_PRETRAIN_QUICK, resnetPretrainGraph, run as runResnetPretrain } from './resnet-pretrain.js';
import type { StudySummary } from '../report/run-folder.js';
import { AUTOENCODER_FULL, AUTOENCODER_QUICK, run as runAutoencoder } from './autoencoder.js';
import { ENSEMBLE_REGRESSION_FULL, ENSEMBLE_REGRESSION_QUICK, run as runEnsembleRegression } from './ensemble-regression.js';
import { MLP_FULL, MLP_QUICK, run as runMlp } from './mlp.js';

export interface StudyEntry<C extends BaseConfig = BaseConfig> {
  id: string;
  description: string;
  full: C;
  quick: C;
  run(config: C, hooks?: RunHooks): Promise<StudySummary>;
  /** Extra command-line overrides this study accepts beyond the common ones. */
  /** epochs: the seed-000 members' training epochs (--epochs; resnet-pretrain: the report-protocol runs' epochs);
   *  members: how many of them to use (--members); variants: resnet-pretrain's variant list (--variants). */
  /** dataDir: a data folder of the study's own kind (--data-dir; audio: AudioMNIST / free-spoken-digit WAVs). */
  acceptsDataDir?: boolean;
  /** The study as a graph of units (lib/scale): `--executor`, `--jobs`, `nnlab unit`, `--resume`. */
  graph?: StudyGraph<C>;
  accepts: { k?: boolean; weights?: boolean; epochs?: boolean; members?: boolean; oodDir?: boolean; variants?: boolean };
}

function entry<C extends BaseConfig>(e: StudyEntry<C>): StudyEntry<BaseConfig> {
  return e as unknown as StudyEntry<BaseConfig>;
}

// The registry: one entry per study, so the entries are alike by design (only their values differ).
export const STUDIES: Record<string, StudyEntry> = {
  cnn: entry({ id: 'cnn', description: 'the seed CNN on MNIST (seed 001)', full: CNN_FULL, quick: CNN_QUICK, run: runCnn, accepts: {} }),
  ablation: entry({
    id: 'ablation',
    description: 'five architecture variants against the seed CNN',
    full: ABLATION_FULL,
    quick: ABLATION_QUICK,
    run: runAblation,
    accepts: {},
  }),
  baselines: entry({
    id: 'baselines',
    description: 'exact k-NN and logistic regression against the CNN',
    full: BASELINES_FULL,
    quick: BASELINES_QUICK,
    run: runBaselines,
    accepts: { k: true },
  }),
  confidence: entry({
    id: 'confidence',
    description: 'm(x) histograms, quantiles and accuracy per confidence bin',
    full: CONFIDENCE_FULL,
    quick: CONFIDENCE_QUICK,
    run: runConfidence,
    accepts: { k: true },
  }),
  'ensemble-size': entry({
    id: 'ensemble-size',
    description: 'deep-ensemble error, NLL and Brier vs the number of members (MNIST MLP)',
    full: ENSEMBLE_SIZE_FULL,
    quick: ENSEMBLE_SIZE_QUICK,
    run: runEnsembleSize,
    accepts: {},
  }),
  fgsm: entry({
    id: 'fgsm',
    description: 'FGSM sweeps over eps against logistic regression, the seed CNN, ResNet18 and the 7-member ResNet18 ensemble',
    full: FGSM_FULL,
    quick: FGSM_QUICK,
    run: runFgsm,
    accepts: { epochs: true },
  }),
  'adv-train': entry({
    id: 'adv-train',
    description: 'adversarial training of the seed CNN (Goodfellow, Deep Ensembles, random-sign control) against FGSM',
    full: ADV_TRAIN_FULL,
    quick: ADV_TRAIN_QUICK,
    run: runAdvTrain,
    accepts: {},
  }),
  'resnet-pretrain': entry({
    id: 'resnet-pretrain',
    description: 'ResNet18 on MNIST: scratch vs pretrained (fc reset), init variants, shuffle (seed 000)',
    full: RESNET_PRETRAIN_FULL,
    quick: RESNET_PRETRAIN_QUICK,
    run: runResnetPretrain,
    graph: resnetPretrainGraph,
    accepts: { weights: true, epochs: true, variants: true },
  }),
  noise: entry({
    id: 'noise',
    description: 'the single seed-000 ResNet18 under Gaussian noise 0.1..0.5: grids and whole-test-set scores',
    full: NOISE_FULL,
    quick: NOISE_QUICK,
    run: runNoise,
    accepts: { epochs: true, members: true },
  }),
  'ensemble-noise': entry({
    id: 'ensemble-noise',
    description: 'the 7-member ResNet18 ensemble vs the best member under Gaussian noise (seed 000)',
    full: ENSEMBLE_NOISE_FULL,
    quick: ENSEMBLE_NOISE_QUICK,
    run: runEnsembleNoise,
    graph: seed000Graph('ensemble-noise', runEnsembleNoise),
    accepts: { epochs: true, members: true },
  }),
  ood: entry({
    id: 'ood',
    description: 'single vs ensemble on MNIST vs FashionMNIST / any IDX folder / noise: grids, histograms, AUROC (seed 000)',
    full: OOD_FULL,
    quick: OOD_QUICK,
    run: runOod,
    accepts: { epochs: true, members: true, oodDir: true },
  }),
  linreg: entry({
    id: 'linreg',
    description: 'Linear(1,1) + MSE by SGD: learning rates, batch sizes, raw vs standardised data (seed 002)',
    full: LINREG_FULL,
    quick: LINREG_QUICK,
    run: runLinreg,
    accepts: {},
  }),
  modules: entry({
    id: 'modules',
    description:
      'hand-chained modules, Sequential, optim.SGD and fit() give the same weights as each other and as PyTorch (seed 002, table 1); --weights: the PyTorch replay',
    full: MODULES_FULL,
    quick: MODULES_QUICK,
    run: runModules,
    accepts: { weights: true },
  }),
  binary: entry({
    id: 'binary',
    description: 'two Gaussian clusters, Linear(2,4) TanH Linear(4,1) Sigmoid after 20 and 200 epochs (seed 002)',
    full: BINARY_FULL,
    quick: BINARY_QUICK,
    run: runBinary,
    accepts: {},
  }),
  dropout: entry({
    id: 'dropout',
    description: 'MNIST example CNN with / without dropout, normal and inverted splits: train and test loss per epoch (seed 003)',
    full: DROPOUT_FULL,
    quick: DROPOUT_QUICK,
    run: runDropout,
    accepts: { epochs: true },
  }),
  multimodal: entry({
    id: 'multimodal',
    description:
      'MNIST image + espeak-ng spoken digit: single modality, early, joint and late fusion, clean and with one modality corrupted (seed 003)',
    full: MULTIMODAL_FULL,
    quick: MULTIMODAL_QUICK,
    run: runMultimodal,
    accepts: { epochs: true },
  }),
  rotation: entry({
    id: 'rotation',
    description: 'true-class probability vs rotation 0..180 degrees, per member and ensemble; whole-test-set accuracy vs angle (seed 000)',
    full: ROTATION_FULL,
    quick: ROTATION_QUICK,
    run: runRotation,
    accepts: { epochs: true, members: true },
  }),
  'class-max': entry({
    id: 'class-max',
    description:
      "turn each class's test image into each class by gradient ascent on the pixels: naive -p vs log loss, learning rates, random starts (seed 001)",
    full: CLASS_MAX_FULL,
    quick: CLASS_MAX_QUICK,
    run: runClassMax,
    accepts: {},
  }),
  'knn-max': entry({
    id: 'knn-max',
    description:
      "the class-max grid through the exact k-NN (k = 3, 5): pseudo-gradient, steps to p >= 0.6, images next to the CNN's (seed 001)",
    full: KNN_MAX_FULL,
    quick: KNN_MAX_QUICK,
    run: runKnnMax,
    accepts: {},
  }),
  audio: entry({
    id: 'audio',
    description: 'spoken digits: log-mel spectrograms (native STFT / mel) and the report CNN, split by voice (seed 003)',
    full: AUDIO_FULL,
    quick: AUDIO_QUICK,
    run: runAudio,
    accepts: {},
    acceptsDataDir: true,
  }),
  mlp: entry({
    id: 'mlp',
    description: 'MNIST 784-100 sigmoid-10 softmax by cross-entropy: plain SGD vs Adam, predictions before/after (seed 002)',
    full: MLP_FULL,
    quick: MLP_QUICK,
    run: runMlp,
    accepts: { epochs: true },
  }),
  autoencoder: entry({
    id: 'autoencoder',
    description: 'FashionMNIST autoencoder with a 2-D latent: reconstructions, noise, latent scatter (seed 002)',
    full: AUTOENCODER_FULL,
    quick: AUTOENCODER_QUICK,
    run: runAutoencoder,
    accepts: { epochs: true },
  }),
  'ensemble-regression': entry({
    id: 'ensemble-regression',
    description: 'Deep Ensembles 1-D toy y = x^3 + noise: NLL heads, adversarial training, 5-member ensemble, MSE and MC-dropout contrasts',
    full: ENSEMBLE_REGRESSION_FULL,
    quick: ENSEMBLE_REGRESSION_QUICK,
    run: runEnsembleRegression,
    accepts: {},
  }),
};

export type { StudySummary } from '../report/run-folder.js';
export type { BaseConfig, RunHooks } from './shared/common.js';
export { RunFolder } from '../report/run-folder.js';
export { knnClassify, bruteForceNeighbours, vote, KNN_TIE_RULES } from '../models/knn.js';
export { loadResnetData, resnetLoader, ResnetLoader, toModelInput } from '../data/resnet-data.js';
export type { ResnetData, ResnetSplit, ResnetDataOptions } from '../data/resnet-data.js';
export { trainResnet, saveResnet, loadResnet, loadBackbone, epochsToReach, SEED000_TRAIN } from '../train/resnet-train.js';
export type { ResnetTrainConfig, TrainedResnet, ResnetMeta, TrainResnetOptions } from '../train/resnet-train.js';
import { OCCLUSION_FULL, OCCLUSION_QUICK, run as runOcclusion } from './occlusion.js';
STUDIES.occlusion = entry({
  id: 'occlusion',
  description: 'occlusion maps of the correct-class probability and the strongest feature map (seed 004, Zeiler & Fergus)',
  full: OCCLUSION_FULL,
  quick: OCCLUSION_QUICK,
  run: runOcclusion,
  accepts: {},
});
import { DECONVNET_FULL, DECONVNET_QUICK, run as runDeconvnet } from './deconvnet.js';
STUDIES.deconvnet = entry({
  id: 'deconvnet',
  description: 'deconvnet projections of layers 1..3, top-9 images, layer-1 filters, guided backprop (seed 004, Zeiler & Fergus)',
  full: DECONVNET_FULL,
  quick: DECONVNET_QUICK,
  run: runDeconvnet,
  accepts: {},
});
import { CAM_FULL, CAM_QUICK, run as runCam } from './cam.js';
STUDIES.cam = entry({
  id: 'cam',
  description: 'CAM, Grad-CAM, Grad-CAM++, Score-CAM; brightness and perspective sweeps; deletion/insertion faithfulness (seed 003)',
  full: CAM_FULL,
  quick: CAM_QUICK,
  run: runCam,
  accepts: { weights: true },
});
