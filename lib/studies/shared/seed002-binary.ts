// The report's binary classifier, Linear(2,4) TanH Linear(4,1) Sigmoid trained by MSE, and what
// the binary and modules studies read off it: scores, accuracy, weights, per-epoch metrics.
import { data, RandomGenerator, nn, noGrad, tidy } from '../../index.js';
import type { Tensor } from '../../index.js';
import type { ClusterData, ClusterSplit } from './seed002-data.js';
import { trainWay } from './seed002-ways.js';

export const HIDDEN = 4;

/** Built from one generator, so the same seed gives the same initial weights in every way. */
export function binaryNet(seed: number): nn.Sequential {
  const g = new RandomGenerator(seed);
  return new nn.Sequential(
    new nn.Linear(2, HIDDEN, { generator: g }),
    new nn.Tanh(),
    new nn.Linear(HIDDEN, 1, { generator: g }),
    new nn.Sigmoid(),
  );
}

/** The score (output of the sigmoid) of each row of x. */
export function scores(net: nn.Module, x: Tensor): Float32Array {
  return noGrad(() => tidy(() => net.forward(x).data() as Float32Array));
}

/** Decision at the report's threshold s = 1/2. */
export const decide = (s: ArrayLike<number>) => Int32Array.from(s as ArrayLike<number>, (v) => (v >= 0.5 ? 1 : 0));
export const labelsOf = (split: ClusterSplit) => Int32Array.from(split.y.data() as Float32Array);

export function accuracy(net: nn.Module, split: ClusterSplit): number {
  const pred = decide(scores(net, split.x)),
    y = labelsOf(split);
  return pred.reduce((a, p, i) => a + (p === y[i] ? 1 : 0), 0) / y.length;
}

export function meanLoss(net: nn.Module, split: ClusterSplit): number {
  return noGrad(() => tidy(() => nn.mseLoss(net.forward(split.x), split.y).item()));
}

/** Named parameters as plain arrays (PyTorch's names: 0.weight, 0.bias, 2.weight, 2.bias). */
export type Weights = Record<string, number[]>;

export function weightsOf(net: nn.Module): Weights {
  return Object.fromEntries(net.namedParameters().map(([k, p]) => [k, Array.from(p.data() as Float32Array)]));
}

export function maxAbsDiff(a: Weights, b: Weights): number {
  let m = 0;
  for (const k of Object.keys(a)) a[k].forEach((v, i) => (m = Math.max(m, Math.abs(v - b[k][i]))));
  return m;
}

/** The batch-1 shuffled order the report trains with; one loader shared by every way keeps the order identical. */
export function trainLoader(d: ClusterData, batch: number, seed: number): data.DataLoader {
  return new data.DataLoader(data.tensorDataset(d.train.x, d.train.y), { batchSize: batch, shuffle: true, seed });
}

export interface EpochRow {
  epoch: number;
  train_loss: number;
  train_acc: number;
  test_loss: number;
  test_acc: number;
}

export function epochRow(net: nn.Module, d: ClusterData, epoch: number): EpochRow {
  return {
    epoch,
    train_loss: meanLoss(net, d.train),
    train_acc: accuracy(net, d.train),
    test_loss: meanLoss(net, d.test),
    test_acc: accuracy(net, d.test),
  };
}

/** Plain SGD with optim.SGD, one batch at a time; the metrics before training and after every epoch. */
export async function trainBinary(
  net: nn.Sequential,
  loader: data.DataLoader,
  d: ClusterData,
  lr: number,
  epochs: number,
  onEpoch?: (r: EpochRow) => void,
): Promise<EpochRow[]> {
  const rows = [epochRow(net, d, 0)];
  await trainWay('optim', net, loader, lr, epochs, (e) => {
    rows.push(epochRow(net, d, e));
    onEpoch?.(rows[rows.length - 1]);
  });
  return rows;
}
