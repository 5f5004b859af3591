// Study `ensemble-regression` (Deep Ensembles, Lakshminarayanan et al. 2017, figure 1, reviewed
// by seed 000): y = x^3 + N(0, 3^2) on 20 points in [-4, 4]; predictive mean +- 3 sigma over
// [-6, 6] against the truth for MSE nets (empirical variance), single NLL nets with and without
// adversarial training, 5-member NLL ensembles with and without it, and MC-dropout for contrast.
import { join } from 'node:path';

import { writeCsv } from '../io/csv.js';
import { bandPlot } from '../viz/band-plot.js';
import { linePlot } from '../viz/line-plot.js';
import type { StudySummary } from '../report/run-folder.js';
import type { BaseConfig, RunHooks } from './shared/common.js';
import { mixtureMoments } from './shared/gaussian-heads.js';
import { addReportTable, startPlainRun } from './shared/seed002-networks-run.js';
import { cubic, predictToy, toyData, ToyObjective, ToyTrainOptions, trainToyNet } from './shared/toy-regression.js';

export interface EnsembleRegressionConfig extends BaseConfig {
  points: number;
  noiseStd: number;
  dataRange: [number, number];
  plotRange: [number, number];
  hidden: number;
  members: number;
  /** Full-batch Adam steps per network. */
  steps: number;
  lr: number;
  /** Adversarial step as a fraction of the input range (the paper: 1%). */
  epsFraction: number;
  dropout: number;
  /** Stochastic forward passes of MC-dropout. */
  dropoutSamples: number;
  /** Fresh points of the same distribution for the test NLL and coverage. */
  testPoints: number;
}

export const ENSEMBLE_REGRESSION_FULL: EnsembleRegressionConfig = {
  preset: 'full',
  seed: 0,
  // 20 points and 100 hidden units: the nets are built and fed on the CPU (a GPU would only add transfers).
  device: 'cpu',
  points: 20,
  noiseStd: 3,
  dataRange: [-4, 4],
  plotRange: [-6, 6],
  hidden: 100,
  members: 5,
  steps: 3000,
  lr: 0.01,
  epsFraction: 0.01,
  dropout: 0.1,
  dropoutSamples: 200,
  testPoints: 2000,
};

export const ENSEMBLE_REGRESSION_QUICK: EnsembleRegressionConfig = {
  ...ENSEMBLE_REGRESSION_FULL,
  preset: 'quick',
  steps: 1000,
  dropoutSamples: 100,
};

interface Prediction {
  id: string;
  title: string;
  mean: Float64Array;
  variance: Float64Array;
}

interface Scores {
  id: string;
  rmse_in: number;
  sigma_in: number;
  sigma_out: number;
  truth_within_3sigma: number;
  test_nll: number;
  test_within_3sigma: number;
}

const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

export async function run(cfg: EnsembleRegressionConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const [lo, hi] = cfg.dataRange;
  const eps = cfg.epsFraction * (hi - lo);
  const ctx = startPlainRun('ensemble-regression', cfg, hooks, {
    model: `Linear(1,${cfg.hidden}) ReLU Linear(${cfg.hidden}, 2): mean and variance softplus(s) + 1e-6; full-batch Adam`,
    adversarial_eps: eps,
    data: `y = x^3 + N(0, ${cfg.noiseStd}^2), ${cfg.points} points x ~ U[${lo}, ${hi}]`,
  });
  const { folder, log } = ctx;
  const train = toyData(cfg.points, cfg.noiseStd, cfg.dataRange, cfg.seed);
  const test = toyData(cfg.testPoints, cfg.noiseStd, cfg.dataRange, cfg.seed + 1_000_003);
  const gridN = 241;
  const grid = Float32Array.from({ length: gridN }, (_, i) => cfg.plotRange[0] + ((cfg.plotRange[1] - cfg.plotRange[0]) * i) / (gridN - 1));
  const base = (objective: ToyObjective, member: number): ToyTrainOptions => ({
    objective,
    hidden: cfg.hidden,
    steps: cfg.steps,
    lr: cfg.lr,
    eps,
    dropout: cfg.dropout,
    seed: cfg.seed * 1000 + member,
  });
  const curves: { name: string; losses: number[] }[] = [];

  // Each member: its own initialisation (the data are the same 20 points, full batch).
  const trainMembers = (objective: ToyObjective) =>
    Array.from({ length: cfg.members }, (_, m) => {
      const t = trainToyNet(train, base(objective, m));
      if (m === 0) curves.push({ name: objective, losses: t.losses });
      const p = {
        grid: predictToy(t.model, grid),
        test: predictToy(t.model, test.x),
        train: predictToy(t.model, train.x),
      };
      t.model.dispose();
      return p;
    });
  log(
    `training ${cfg.members} MSE nets, ${cfg.members} NLL nets and ${cfg.members} NLL + adversarial nets (eps ${eps}), ${cfg.steps} full-batch Adam steps each`,
  );
  const mse = trainMembers('mse'),
    nll = trainMembers('nll'),
    adv = trainMembers('nll-adversarial');
  log(`training the MC-dropout net (p = ${cfg.dropout}) and sampling it ${cfg.dropoutSamples} times`);
  const drop = trainToyNet(train, base('mse-dropout', 0));
  curves.push({ name: 'mse-dropout', losses: drop.losses });

  // One MSE net: a constant sigma, the RMS of its training residuals ("empirical variance").
  const residualVar = (pred: Float32Array) => pred.reduce((s, v, i) => s + (v - train.y[i]) ** 2, 0) / train.y.length;
  const constant = (n: number, v: number) => new Float64Array(n).fill(v);
  const mseVar = residualVar(mse[0].train.mean);
  // The spread of point predictions: the mixture of zero-variance members.
  const empirical = (ps: { mean: Float32Array }[]) =>
    mixtureMoments(
      ps.map((p) => p.mean),
      ps.map((p) => new Float32Array(p.mean.length)),
    );
  const mcDropout = (xs: Float32Array) => {
    drop.model.eval();
    const residual = residualVar(predictToy(drop.model, train.x).mean);
    drop.model.train();
    const m = empirical(Array.from({ length: cfg.dropoutSamples }, () => predictToy(drop.model, xs)));
    // Gal & Ghahramani: sample variance plus the homoscedastic noise (here the eval-mode training residual variance).
    return { mean: m.mean, variance: m.variance.map((v) => v + residual) };
  };

  const models = (pick: 'grid' | 'test'): Prediction[] => {
    const n = pick === 'grid' ? gridN : cfg.testPoints;
    const mix = (ps: typeof nll) =>
      mixtureMoments(
        ps.map((p) => p[pick].mean),
        ps.map((p) => p[pick].variance),
      );
    return [
      {
        id: 'mse-single',
        title: 'one MSE net, sigma = RMS training residual',
        mean: f64(mse[0][pick].mean),
        variance: constant(n, mseVar),
      },
      {
        id: 'mse-ensemble',
        title: `${cfg.members} MSE nets, empirical variance`,
        ...empirical(mse.map((p) => p[pick])),
      },
      { id: 'nll-single', title: 'one NLL net', mean: f64(nll[0][pick].mean), variance: f64(nll[0][pick].variance) },
      {
        id: 'nll-adversarial-single',
        title: 'one NLL net + adversarial training',
        mean: f64(adv[0][pick].mean),
        variance: f64(adv[0][pick].variance),
      },
      { id: 'nll-ensemble', title: `ensemble of ${cfg.members} NLL nets`, ...mix(nll) },
      {
        id: 'nll-adversarial-ensemble',
        title: `ensemble of ${cfg.members} NLL nets + adversarial training`,
        ...mix(adv),
      },
      {
        id: 'mc-dropout',
        title: `MC-dropout (p = ${cfg.dropout}, ${cfg.dropoutSamples} passes)`,
        ...mcDropout(pick === 'grid' ? grid : test.x),
      },
    ];
  };
  const onGrid = models('grid'),
    onTest = models('test');
  drop.model.dispose();

  const scores: Scores[] = onGrid.map((g, k) => {
    const t = onTest[k];
    const inside = [...grid.keys()].filter((i) => grid[i] >= lo && grid[i] <= hi);
    const outside = [...grid.keys()].filter((i) => grid[i] < lo - 1 || grid[i] > hi + 1);
    const sd = (v: number) => Math.sqrt(v);
    const meanOf = (idx: number[], f: (i: number) => number) => idx.reduce((s, i) => s + f(i), 0) / idx.length;
    const within = (mu: number, v: number, y: number) => (Math.abs(y - mu) <= 3 * sd(v) ? 1 : 0);
    const nllOf = (mu: number, v: number, y: number) => 0.5 * Math.log(2 * Math.PI * v) + (y - mu) ** 2 / (2 * v);
    const all = [...grid.keys()],
      testIdx = [...test.x.keys()];
    return {
      id: g.id,
      rmse_in: Math.sqrt(meanOf(inside, (i) => (g.mean[i] - cubic(grid[i])) ** 2)),
      sigma_in: meanOf(inside, (i) => sd(g.variance[i])),
      sigma_out: meanOf(outside, (i) => sd(g.variance[i])),
      truth_within_3sigma: meanOf(all, (i) => within(g.mean[i], g.variance[i], cubic(grid[i]))),
      test_nll: meanOf(testIdx, (i) => nllOf(t.mean[i], Math.max(t.variance[i], 1e-6), test.y[i])),
      test_within_3sigma: meanOf(testIdx, (i) => within(t.mean[i], t.variance[i], test.y[i])),
    };
  });

  const xs = Array.from(grid);
  const truth = { x: xs, y: xs.map(cubic) };
  for (const p of onGrid) {
    const sd = Array.from(p.variance, Math.sqrt);
    folder.figure(
      `band_${p.id}`,
      p.title,
      bandPlot(
        {
          x: xs,
          mean: Array.from(p.mean),
          lower: xs.map((_, i) => p.mean[i] - 3 * sd[i]),
          upper: xs.map((_, i) => p.mean[i] + 3 * sd[i]),
        },
        {
          title: p.title,
          xLabel: 'x',
          yLabel: 'y',
          yDomain: [-250, 250],
          reference: truth,
          points: { x: Array.from(train.x), y: Array.from(train.y) },
          names: ['predictive mean', 'mean +- 3 sigma', 'y = x^3', `${cfg.points} training points`],
        },
      ),
    );
  }
  folder.figure(
    'training_loss',
    'Training loss of the first member',
    linePlot(
      curves.map((c) => ({
        name: c.name,
        x: c.losses.map((_, i) => Math.min(i * 10, cfg.steps - 1)),
        y: c.losses.map((v) => Math.log10(v)),
      })),
      {
        title: 'Training loss per step (first member of each kind)',
        xLabel: 'Adam step',
        yLabel: 'log10 of the loss (MSE, or NLL per point)',
      },
    ),
  );
  writeCsv(
    join(folder.dir, 'metrics.csv'),
    ['x', ...onGrid.flatMap((p) => [`${p.id}_mean`, `${p.id}_sigma`]), 'truth'],
    xs.map((x, i) => [x, ...onGrid.flatMap((p) => [p.mean[i], Math.sqrt(p.variance[i])]), cubic(x)]),
  );
  folder.table('scores', {
    title: 'Predictive mean and sigma against the truth',
    columns: [
      'model',
      'RMSE vs x^3 in data range',
      'mean sigma in data range',
      `mean sigma |x| > ${hi + 1}`,
      'truth within 3 sigma on grid',
      'test NLL',
      'test points within 3 sigma',
    ],
    rows: scores.map((s) => [
      s.id,
      +s.rmse_in.toFixed(3),
      +s.sigma_in.toFixed(3),
      +s.sigma_out.toFixed(3),
      +s.truth_within_3sigma.toFixed(3),
      +s.test_nll.toFixed(3),
      +s.test_within_3sigma.toFixed(3),
    ]),
  });

  const by = (id: string) => scores.find((s) => s.id === id)!;
  const ens = by('nll-adversarial-ensemble'),
    single = by('nll-single'),
    mseEns = by('mse-ensemble');
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  addReportTable(folder, cfg.preset, [
    {
      quantity: 'setting',
      report: 'y = x^3 + N(0, 3^2), 20 points in [-4, 4], 1 hidden layer of 100, 5 members, eps = 1% of the range',
      nnlab: `${cfg.points} points, hidden ${cfg.hidden}, ${cfg.members} members, eps ${eps}, ${cfg.steps} Adam steps (lr ${cfg.lr})`,
    },
    {
      quantity: 'ensemble + adversarial: uncertainty grows away from the data',
      report: 'yes (figure 1, right)',
      nnlab: `mean sigma ${ens.sigma_in.toFixed(2)} in [-4, 4], ${ens.sigma_out.toFixed(2)} for |x| > ${hi + 1} (x${(ens.sigma_out / ens.sigma_in).toFixed(1)})`,
    },
    {
      quantity: 'ensemble + adversarial: truth inside +-3 sigma over [-6, 6]',
      report: 'visually, nearly everywhere',
      nnlab: pct(ens.truth_within_3sigma),
    },
    {
      quantity: 'single NLL net: truth inside +-3 sigma over [-6, 6]',
      report: 'no: over-confident outside the data',
      nnlab: pct(single.truth_within_3sigma),
    },
    {
      quantity: 'MSE nets, empirical variance: truth inside +-3 sigma',
      report: 'poor uncertainty (figure 1, left)',
      nnlab: pct(mseEns.truth_within_3sigma),
    },
    {
      quantity: 'test NLL (fresh points in [-4, 4])',
      report: 'NLL and ensembles give better uncertainty',
      nnlab: scores.map((s) => `${s.id} ${s.test_nll.toFixed(2)}`).join('; '),
    },
  ]);

  return folder.finish(
    {
      ensemble_adv_truth_within_3sigma: ens.truth_within_3sigma,
      ensemble_adv_sigma_in: ens.sigma_in,
      ensemble_adv_sigma_out: ens.sigma_out,
      ensemble_adv_test_nll: ens.test_nll,
      ensemble_adv_rmse_in: ens.rmse_in,
      nll_single_truth_within_3sigma: single.truth_within_3sigma,
      nll_single_test_nll: single.test_nll,
      mse_ensemble_truth_within_3sigma: mseEns.truth_within_3sigma,
      mc_dropout_truth_within_3sigma: by('mc-dropout').truth_within_3sigma,
      mc_dropout_test_nll: by('mc-dropout').test_nll,
      members: cfg.members,
      steps: cfg.steps,
    },
    { scores },
  );
}
