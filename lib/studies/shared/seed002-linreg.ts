// The report's linear regression: nn.Linear(1,1) + MSE trained by SGD on y = m*x + noise, raw or
// with x and y standardised; the loss and the slope (in the data's units) after every epoch,
// and an honest stop when a run diverges.
import { data, RandomGenerator, nn, noGrad, tensor, tidy } from '../../index.js';
import { LinregData, standardise, Standardised } from './seed002-data.js';
import { trainWay, Way } from './seed002-ways.js';

export interface LinregSetting {
  name: string;
  lr: number;
  batch: number;
  normalised: boolean;
}

export interface LinregProblem {
  raw: LinregData;
  xs: Standardised;
  ys: Standardised;
}

export interface LinregTrace {
  setting: LinregSetting;
  /** 0 = before training. */
  epochs: number[];
  /** Full-data MSE in the units the model is trained in (standardised or raw). */
  loss: number[];
  /** The learned line in the data's own units. */
  slope: number[];
  intercept: number[];
  /** The weight itself (the slope in the trained units: the report's normalised slopes). */
  weight: number[];
  /** First epoch whose loss is not finite or has grown a million-fold: training stopped there. */
  divergedAt: number | null;
}

/** Loss growth beyond which a run counts as diverged (it only grows geometrically from there). */
export const DIVERGENCE_FACTOR = 1e6;

export function linregProblem(raw: LinregData): LinregProblem {
  return { raw, xs: standardise(raw.x), ys: standardise(raw.y) };
}

/** The least-squares line of the data (the best any training can reach). */
export function leastSquares(x: Float32Array, y: Float32Array): { slope: number; intercept: number } {
  const n = x.length,
    mx = x.reduce((a, b) => a + b, 0) / n,
    my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0,
    sxx = 0;
  x.forEach((v, i) => {
    sxy += (v - mx) * (y[i] - my);
    sxx += (v - mx) ** 2;
  });
  return { slope: sxy / sxx, intercept: my - (sxy / sxx) * mx };
}

function toDataUnits(w: number, b: number, p: LinregProblem, normalised: boolean): { slope: number; intercept: number } {
  if (!normalised) return { slope: w, intercept: b };
  const slope = (w * p.ys.std) / p.xs.std;
  return { slope, intercept: p.ys.mean + p.ys.std * b - slope * p.xs.mean };
}

export function linregDataset(p: LinregProblem, normalised: boolean): data.TensorDataset {
  const x = normalised ? p.xs.values : p.raw.x,
    y = normalised ? p.ys.values : p.raw.y;
  // Kept: the data outlives the training steps of each run (and is disposed by the caller).
  return data.tensorDataset(tensor(x, [x.length, 1]).keep(), tensor(y, [y.length, 1]).keep());
}

export function linregNet(seed: number): nn.Sequential {
  return new nn.Sequential(new nn.Linear(1, 1, { generator: new RandomGenerator(seed) }));
}

/** Trains a fresh Linear(1,1) (initialised from `seed`) on one setting the given way. */
export async function trainLinreg(way: Way, s: LinregSetting, p: LinregProblem, epochs: number, seed: number): Promise<LinregTrace> {
  const ds = linregDataset(p, s.normalised);
  const net = linregNet(seed);
  const lin = net.layers[0] as nn.Linear;
  const t: LinregTrace = { setting: s, epochs: [], loss: [], slope: [], intercept: [], weight: [], divergedAt: null };
  const record = (epoch: number) => {
    const loss = noGrad(() => tidy(() => nn.mseLoss(net.forward(ds.x), ds.y).item()));
    const w = lin.weight.item(),
      b = lin.bias!.item();
    if (!Number.isFinite(loss) || loss > DIVERGENCE_FACTOR * (t.loss[0] ?? Infinity)) {
      t.divergedAt = epoch;
      return 'stop' as const;
    }
    const line = toDataUnits(w, b, p, s.normalised);
    t.epochs.push(epoch);
    t.loss.push(loss);
    t.weight.push(w);
    t.slope.push(line.slope);
    t.intercept.push(line.intercept);
  };
  try {
    record(0);
    await trainWay(way, net, new data.DataLoader(ds, { batchSize: s.batch, shuffle: true, seed }), s.lr, epochs, record);
    return t;
  } finally {
    net.dispose();
    ds.x.dispose();
    ds.y.dispose();
  }
}
