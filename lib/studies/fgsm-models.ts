// The models the `fgsm` study attacks: one factory per model id. Each trains its network inside
// an attacks.PixelSpaceModel (normalisation, and any input transform, inside the forward pass) on
// raw pixels in [0, 1], so the model is attacked exactly as it was trained and eps means the same
// for every model. Add a model = add an entry here, its training settings to the presets in
// fgsm.ts and its id to their `models` lists.
//
// TODO(resnet18): once lib/nn/resnet.ts is merged, add
//   resnet18: { label: 'ResNet18', description: ..., build: (ctx, s, seed) => trainTarget(ctx, 'resnet18', 'ResNet18',
//     resnet18({ numClasses: 10, generator: new Generator(seed) }), s, seed, toResnetInput) }
//   toResnetInput maps [N,1,28,28] pixels to the network's [N,3,32,32] input and must be DIFFERENTIABLE (the attack's
//   gradient flows through it): data.resize has no gradient today, so either give resize a backward or zero-pad
//   2 pixels per side with ops.concat; then data.replicateChannels(x, 3) (ops.expand, differentiable). Presets:
//   FGSM_FULL.train.resnet18 = { epochs: 20, batch: 512, lr: 1e-4, weightDecay: 1e-4 } (seed 000), a 1-epoch
//   subset setting in FGSM_QUICK.train, and 'resnet18' in both `models` lists.
// TODO(ensemble): once lib/ensemble is merged, add
//   ensemble: { label: '7-model ensemble', description: ..., build: ... } that trains 7 members (seeds seed..seed+6)
//   through the Ensemble API, each inside its own PixelSpaceModel or with the ensemble wrapped in one, and returns it
//   as an AttackTarget. Nothing in lib/attacks changes: Ensemble.forward returns log(mean softmax) and the attacks
//   only call forward (test/api/attacks.test.ts checks a stand-in that follows this contract).
import { Generator, seedCnn } from '../index.js';
import type { nn, Tensor } from '../index.js';
import { PixelSpaceModel } from '../attacks/pixel-model.js';
import type { EpochMetrics } from '../train/metrics-tracker.js';
import type { PixelSplit } from './adversarial.js';
import { logisticRegression, trainClassifier, TrainSettings } from './classifier.js';
import type { RunContext } from './common.js';

export interface AttackTarget {
  id: string;
  label: string;
  /** Takes raw pixels [N, 1, 28, 28] in [0, 1]; returns logits or log-probabilities. */
  model: PixelSpaceModel;
  parameters: number;
  history: EpochMetrics[];
  trainSeconds: number;
}

/** The run plus its splits in pixel space. */
export interface PixelRunContext extends RunContext {
  pixels: { train: PixelSplit; test: PixelSplit };
}

export interface TargetFactory {
  label: string;
  /** What the model is, for config.json. */
  description: string;
  build(ctx: PixelRunContext, settings: TrainSettings, seed: number): Promise<AttackTarget>;
}

/** Trains `net` inside a PixelSpaceModel on the pixel-space train split (metrics in <run>/<id>/). */
export async function trainTarget(ctx: PixelRunContext, id: string, label: string, net: nn.Module, s: TrainSettings, seed: number,
  preprocess?: (x: Tensor) => Tensor): Promise<AttackTarget> {
  const t0 = performance.now();
  const model = new PixelSpaceModel(net, ctx.mnist.stats, preprocess).to(ctx.device);
  ctx.log(`training ${label} (${model.numParameters()} parameters), ${s.epochs} epochs on ${ctx.pixels.train.n} images`);
  const t = await trainClassifier(model, ctx.pixels.train, ctx.pixels.test, s, { seed, outDir: ctx.folder.sub(id), log: ctx.log });
  return { id, label, model, parameters: t.parameters, history: t.history, trainSeconds: (performance.now() - t0) / 1000 };
}

export const ATTACK_TARGETS: Record<string, TargetFactory> = {
  logreg: {
    label: 'logistic regression',
    description: 'multinomial logistic regression: Linear(784 -> 10) on the normalised pixels, softmax cross-entropy, Adam',
    build: (ctx, s, seed) => trainTarget(ctx, 'logreg', 'logistic regression', logisticRegression(new Generator(seed)), s, seed),
  },
  cnn: {
    label: 'seed CNN',
    description: 'seed CNN: Conv(1->32,3x3) ReLU MaxPool2 Conv(32->64,3x3) ReLU MaxPool2 Flatten Linear(128) ReLU Linear(10), Adam',
    build: (ctx, s, seed) => trainTarget(ctx, 'cnn', 'seed CNN', seedCnn(new Generator(seed)), s, seed),
  },
};
