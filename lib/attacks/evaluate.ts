// Attacks over whole data sets, in batches: the adversarial images, and the model's predictions
// and confidences on them (accuracy, mean confidence, per-image probabilities).
import { noGrad } from '../core/autograd/engine.js';
import { joinBatches } from '../core/batched.js';
import { ArgumentError } from '../core/errors.js';
import type { Module } from '../nn/module.js';
import * as ops from '../core/ops/index.js';
import { tidy } from '../core/scope.js';
import type { Tensor } from '../core/tensor.js';
import { checkBatch } from './input-gradient.js';

/** An attack on one batch: (model, images, labels) -> adversarial images (null = clean). */
export type Attack = (model: Module, x: Tensor, labels: Tensor) => Tensor;

export interface AttackEvaluation {
  n: number;
  classes: number;
  /** Log-softmax of the model's outputs on the attacked images, row-major [n, classes] (exact NLL even where a probability underflows). */
  logProbs: Float32Array;
  pred: Int32Array;
  /** Max probability per image (the model's confidence in its prediction). */
  conf: Float32Array;
  /** Fraction of images predicted as their label (for targeted attacks: the true label). */
  accuracy: number;
  meanConfidence: number;
  /** The first `keepImages` attacked images, row-major, for figures. */
  images: Float32Array;
}

function rows(t: Tensor, lo: number, hi: number): Tensor {
  return ops.slice(t, 0, lo, hi);
}

function checkBatchSize(batch: number, op: string): void {
  if (!(Number.isInteger(batch) && batch >= 1)) throw new ArgumentError(`${op}: batch must be an integer >= 1, got ${batch}`);
}

/** The attack applied to every batch of (x, labels); the adversarial set on x's device. */
export function attackInBatches(model: Module, x: Tensor, labels: Tensor, attack: Attack, batch = 500): Tensor {
  checkBatch(x, labels, 'attackInBatches');
  checkBatchSize(batch, 'attackInBatches');
  const parts: Tensor[] = [];
  try {
    for (let lo = 0; lo < x.shape[0]; lo += batch) {
      const hi = Math.min(x.shape[0], lo + batch);
      parts.push(tidy(() => attack(model, rows(x, lo, hi), rows(labels, lo, hi))));
    }
    return noGrad(() => ops.concat(parts, 0));
  } finally {
    parts.forEach((p) => p.dispose());
  }
}

/**
 * Attacks (x, labels) batch by batch (attack null = the clean images) and scores the model on
 * the results in eval mode. `targets` replaces labels as the attack's labels (targeted attacks);
 * accuracy is always measured against `labels`.
 */
export function evaluateAttack(
  model: Module,
  x: Tensor,
  labels: Tensor,
  attack: Attack | null,
  o: { batch?: number; keepImages?: number; targets?: Tensor } = {},
): AttackEvaluation {
  checkBatch(x, labels, 'evaluateAttack');
  if (o.targets) checkBatch(x, o.targets, 'evaluateAttack (targets)');
  const batch = o.batch ?? 500,
    keep = Math.min(o.keepImages ?? 0, x.shape[0]);
  checkBatchSize(batch, 'evaluateAttack');
  const n = x.shape[0],
    rowSize = x.numel / Math.max(n, 1);
  const chunks: Float32Array[] = [];
  const images = new Float32Array(keep * rowSize);
  const wasTraining = model.training;
  try {
    for (let lo = 0; lo < n; lo += batch) {
      const hi = Math.min(n, lo + batch);
      tidy(() => {
        const xb = rows(x, lo, hi);
        const adv = attack ? attack(model, xb, rows(o.targets ?? labels, lo, hi)) : xb;
        if (lo < keep) images.set(rows(adv, 0, Math.min(hi, keep) - lo).data() as Float32Array, lo * rowSize);
        model.eval();
        chunks.push(noGrad(() => ops.logSoftmax(model.forward(adv), 1).data() as Float32Array));
        model.train(wasTraining);
      });
    }
  } finally {
    model.train(wasTraining);
  }
  const { data: logProbs, cols: classes } = joinBatches(chunks, n);
  const lab = labels.data();
  const pred = new Int32Array(n),
    conf = new Float32Array(n);
  let correct = 0,
    confSum = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logProbs[i * classes + c] > logProbs[i * classes + best]) best = c;
    pred[i] = best;
    conf[i] = Math.exp(logProbs[i * classes + best]);
    confSum += conf[i];
    if (best === lab[i]) correct++;
  }
  return { n, classes, logProbs, pred, conf, accuracy: correct / Math.max(n, 1), meanConfidence: confSum / Math.max(n, 1), images };
}
