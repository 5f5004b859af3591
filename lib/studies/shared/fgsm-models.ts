// The models the `fgsm` study attacks: one factory per model id. Each trains its network inside
// an attacks.PixelSpaceModel (normalisation, and any input transform, inside the forward pass) on
// raw pixels in [0, 1], so the model is attacked exactly as it was trained and eps means the same
// for every model. Add a model = add an entry here, its training settings to the presets in
// fgsm.ts and its id to their `models` lists. The ResNet18 and the ensemble are the seed-000
// members (fgsm-resnet.ts) behind the differentiable seed-000 pipeline (resnet-pixel.ts).

import { Ensemble, RandomGenerator, ops, seedCnn } from '../../index.js';
import type { nn, Tensor } from '../../index.js';
import { PixelSpaceModel } from '../../attacks/pixel-model.js';
import type { EpochMetrics } from '../../train/metrics-tracker.js';
import type { PixelSplit } from './adversarial.js';
import { logisticRegression, trainClassifier, TrainSettings } from '../../train/classifier.js';
import type { RunContext } from './common.js';
import { bestMember, MemberPoolHandle } from './fgsm-resnet.js';
import type { TrainedMember } from './resnet-members.js';
import { resnetPixelModel } from '../../data/resnet-pixel.js';

export interface AttackTarget {
  id: string;
  label: string;
  /** Takes raw pixels [N, 1, 28, 28] in [0, 1]; returns logits or log-probabilities. */
  model: PixelSpaceModel;
  parameters: number;
  history: EpochMetrics[];
  trainSeconds: number;
  /** The model wraps networks the run owns (the ResNet members): the run disposes them, not the target. */
  shared?: boolean;
  /** What summary.json records about the model besides its sweep (e.g. which members). */
  details?: Record<string, unknown>;
}

/** The run plus its splits in pixel space. */
export interface PixelRunContext extends RunContext {
  pixels: { train: PixelSplit; test: PixelSplit };
  /** The seed-000 ResNet18 members (null when the config has none). */
  members: MemberPoolHandle | null;
}

export interface TargetFactory {
  label: string;
  /** What the model is, for config.json. */
  description: string;
  /** 'settings': trained in the run with the config's train[id]; 'members': built on the run's ResNet18 members. */
  uses: 'settings' | 'members';
  build(ctx: PixelRunContext, settings: TrainSettings | undefined, seed: number): Promise<AttackTarget>;
}

/** Trains `net` inside a PixelSpaceModel on the pixel-space train split (metrics in <run>/<id>/). */
export async function trainTarget(
  ctx: PixelRunContext,
  id: string,
  label: string,
  net: nn.Module,
  s: TrainSettings,
  seed: number,
  preprocess?: (x: Tensor) => Tensor,
): Promise<AttackTarget> {
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
    uses: 'settings',
    build: (ctx, s, seed) => trainTarget(ctx, 'logreg', 'logistic regression', logisticRegression(new RandomGenerator(seed)), s!, seed),
  },
  cnn: {
    label: 'seed CNN',
    description: 'seed CNN: Conv(1->32,3x3) ReLU MaxPool2 Conv(32->64,3x3) ReLU MaxPool2 Flatten Linear(128) ReLU Linear(10), Adam',
    uses: 'settings',
    build: (ctx, s, seed) => trainTarget(ctx, 'cnn', 'seed CNN', seedCnn(new RandomGenerator(seed)), s!, seed),
  },
  resnet18: {
    label: 'ResNet18',
    description:
      'seed-000 ResNet18 (the member with the lowest validation loss), behind the differentiable pipeline: 28x28 pixels -> bilinear 32x32 -> 3 channels -> normalised',
    uses: 'members',
    build: (ctx) =>
      memberTarget(ctx, 'resnet18', (pool) => {
        const best = bestMember(pool.members);
        ctx.log(`ResNet18: member seed ${best.seed} (lowest validation loss ${best.meta.val.loss.toFixed(4)} of ${pool.members.length})`);
        return { label: 'ResNet18', net: best.model, details: { member: memberDetails(best), selected_by: 'lowest validation loss' } };
      }),
  },
  ensemble: {
    label: 'ResNet18 ensemble',
    description:
      'Deep Ensembles ensemble of the seed-000 ResNet18 members: log of the mean of their softmax, behind the same differentiable pipeline; FGSM follows the gradient of the ensemble NLL',
    uses: 'members',
    build: (ctx) =>
      memberTarget(ctx, 'ensemble', (pool) => {
        const ens = new MemberByMemberEnsemble(pool.members.map((m) => m.model));
        return {
          label: `${pool.members.length}-member ResNet18 ensemble`,
          net: ens,
          details: { members: pool.members.map(memberDetails) },
        };
      }),
  },
};

/**
 * An Ensemble whose members run one after another instead of stacked: for ResNet18 the stacked
 * pass runs grouped convolutions, which take the slower lowered path, so one member at a time is
 * faster for an FGSM step. Same forward (log of the mean softmax), same gradient.
 */
class MemberByMemberEnsemble extends Ensemble {
  override memberLogits(x: Tensor): Tensor {
    return ops.stack(
      this.members.map((m) => m.forward(x)),
      0,
    );
  }
}

async function membersOf(ctx: PixelRunContext) {
  if (!ctx.members) throw new Error('internal: a members target without a member pool (checkConfig lets no such config through)');
  return ctx.members.get();
}

/** A target on the run's ResNet18 members (trained before the run, disposed by it): `net` behind their pixel pipeline. */
async function memberTarget(
  ctx: PixelRunContext,
  id: string,
  make: (pool: Awaited<ReturnType<typeof membersOf>>) => { label: string; net: nn.Module; details: Record<string, unknown> },
): Promise<AttackTarget> {
  const pool = await membersOf(ctx);
  const { label, net, details } = make(pool);
  return {
    id,
    label,
    model: resnetPixelModel(net, pool.stats).eval(),
    parameters: net.numParameters(),
    history: [],
    trainSeconds: pool.seconds,
    shared: true,
    details,
  };
}

/** What summary.json records about one member. */
function memberDetails(m: TrainedMember): Record<string, unknown> {
  return {
    seed: m.seed,
    cached: m.cached,
    path: m.path,
    epochs: m.meta.train.epochs,
    best_epoch: m.meta.bestEpoch,
    val_loss: m.meta.val.loss,
    val_acc: m.meta.val.acc,
    test_acc_own_pipeline: m.meta.test.acc,
    test_images_own_pipeline: m.meta.test.n,
  };
}
