// Training and evaluating a classifier through the public API (fit, evaluate, DataLoader, Adam),
// plus its softmax probabilities on a split, which the confidence and baseline studies read.
import * as data from '../data/index.js';
import * as nn from '../nn/index.js';
import * as ops from '../core/ops/index.js';
import * as optim from '../optim/index.js';
import { fit, evaluate } from './fit.js';
import { RandomGenerator } from '../core/random.js';
import { noGrad } from '../core/autograd/engine.js';
import { joinBatches } from '../core/batched.js';
import { tidy } from '../core/scope.js';
import type { EpochMetrics } from './metrics-tracker.js';
import type { Tensor } from '../core/tensor.js';
import type { MnistSplit } from '../data/mnist.js';

export interface TrainSettings {
  epochs: number;
  batch: number;
  lr: number;
  /** Cosine annealing of the learning rate to 0 over the epochs (helps convex models converge). */
  cosine?: boolean;
  /** With `cosine`: anneal after every batch instead of every epoch (smooth over a few epochs). */
  cosinePerStep?: boolean;
  weightDecay?: number;
}

/**
 * The seed CNN's full training in the seed-001 studies: Adam 1e-3, batch 128, 5 epochs, the learning
 * rate annealed to 0 by a per-epoch cosine. The studies report the last epoch, and annealing makes
 * the last epoch the good one (a constant rate leaves it wherever the last steps wandered).
 */
export const SEED_CNN_TRAIN: TrainSettings = { epochs: 5, batch: 128, lr: 1e-3, cosine: true };

export interface TrainedClassifier {
  history: EpochMetrics[];
  testAccuracy: number;
  testLoss: number;
  parameters: number;
  secondsPerEpoch: number;
  imagesPerSecond: number;
}

/** Trains with Adam on `train`, validating on `test` after each epoch (metrics.csv in outDir). */
export async function trainClassifier(
  model: nn.Module,
  train: MnistSplit,
  test: MnistSplit,
  s: TrainSettings,
  o: { seed: number; outDir: string; log: (s: string) => void; generator?: RandomGenerator },
): Promise<TrainedClassifier> {
  const opt = new optim.Adam(model.parameters(), { lr: s.lr, weightDecay: s.weightDecay ?? 0 });
  const trainLoader = new data.DataLoader(data.tensorDataset(train.x, train.y), { batchSize: s.batch, shuffle: true, seed: o.seed });
  const testLoader = new data.DataLoader(data.tensorDataset(test.x, test.y), { batchSize: 1000 });
  const steps = s.epochs * trainLoader.length;
  let step = 0;
  const r = await fit(model, trainLoader, {
    epochs: s.epochs,
    optimizer: opt,
    val: testLoader,
    outDir: o.outDir,
    log: o.log,
    generator: o.generator,
    scheduler: s.cosine && !s.cosinePerStep ? new optim.CosineAnnealingLR(opt, s.epochs) : undefined,
    // The learning rate for the next batch: lr * (1 + cos(pi * done / total)) / 2.
    onBatch:
      s.cosine && s.cosinePerStep
        ? () => {
            opt.lr = (s.lr * (1 + Math.cos((Math.PI * ++step) / steps))) / 2;
          }
        : undefined,
  });
  // The last epoch's validation ran on these weights and this loader already (fit keeps the last
  // weights, not the best): evaluating again would repeat every forward pass.
  const last = r.history.length === s.epochs ? r.history.at(-1) : undefined;
  const ev = last?.val_loss != null && last.val_acc != null ? { loss: last.val_loss, acc: last.val_acc } : evaluate(model, testLoader);
  opt.dispose();
  return {
    history: r.history,
    testAccuracy: ev.acc,
    testLoss: ev.loss,
    parameters: model.numParameters(),
    secondsPerEpoch: r.secondsPerEpoch,
    imagesPerSecond: r.imagesPerSecond,
  };
}

/** Softmax probabilities [n, classes] (row-major) of a model on inputs x, in batches. */
export function predictProbs(model: nn.Module, x: Tensor, batch = 1000): Float32Array {
  const n = x.shape[0];
  const chunks: Float32Array[] = [];
  const wasTraining = model.training;
  model.eval();
  noGrad(() => {
    for (let lo = 0; lo < n; lo += batch) {
      chunks.push(tidy(() => ops.softmax(model.forward(data.rowsOf(x, lo, Math.min(n, lo + batch))), 1).data() as Float32Array));
    }
  });
  model.train(wasTraining);
  return joinBatches(chunks, n).data;
}

/** Argmax and max probability per row of a [n, classes] probability matrix. */
export function decide(probs: Float32Array, classes = 10): { pred: Int32Array; conf: Float32Array } {
  const n = probs.length / classes;
  const pred = new Int32Array(n),
    conf = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    pred[i] = best;
    conf[i] = probs[i * classes + best];
  }
  return { pred, conf };
}

export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) ok++;
  return ok / Math.max(labels.length, 1);
}

/** Multinomial logistic regression: one linear layer on the 784 pixels, softmax in the loss. */
export function logisticRegression(generator?: RandomGenerator): nn.Sequential {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(28 * 28, 10, { generator }));
}
