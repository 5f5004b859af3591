// Study `linreg` (seed 002, section 1): nn.Linear(1,1) + MSE on y = m*x + N(0, 5^2), x in [0, 50],
// trained by SGD: learning rates 1e-2..1e-5 at batch 1, batch sizes 1/10/100 at lr 1e-2, on
// standardised data and on the raw data (where the large learning rates diverge).
import { join } from 'node:path';

import { writeCsv } from '../io/csv.js';
import { linePlot, Series } from '../viz/line-plot.js';
import { scatterFit } from '../viz/scatter-fit.js';
import type { RunFolder, StudySummary } from '../report/run-folder.js';
import type { BaseConfig, RunHooks } from './shared/common.js';
import { linregData } from './shared/seed002-data.js';
import { leastSquares, LinregProblem, linregProblem, LinregSetting, LinregTrace, trainLinreg } from './shared/seed002-linreg.js';
import { reportVsNnlab, startSynthetic } from './shared/seed002-run.js';

export interface LinregConfig extends BaseConfig {
  n: number;
  slope: number;
  noise: number;
  xRange: [number, number];
  epochs: number;
  lrs: number[];
  batches: number[];
  /** Learning rate of the batch-size sweep. */
  batchLr: number;
}

export const LINREG_FULL: LinregConfig = {
  preset: 'full',
  seed: 0,
  device: 'cpu',
  n: 100,
  slope: 5,
  noise: 5,
  xRange: [0, 50],
  epochs: 200,
  lrs: [1e-2, 1e-3, 1e-4, 1e-5],
  batches: [1, 10, 100],
  batchLr: 1e-2,
};

export const LINREG_QUICK: LinregConfig = { ...LINREG_FULL, preset: 'quick', epochs: 50 };

/** The report's slopes on standardised data after 200 epochs at batch 1 (section 1.2). */
const REPORT_NORMALISED_SLOPE: Record<string, string> = {
  '0.01': '0.95',
  '0.001': '0.95',
  '0.0001': '0.73',
  '0.00001': '-0.41',
};

const lrName = (lr: number) => `lr ${lr.toExponential(0)}`;
const f3 = (v: number) => v.toFixed(3);

/** First epoch from which the slope stays within 1% of the target for the rest of the run. */
function settledAt(t: LinregTrace, target: number): number | null {
  let at: number | null = null;
  t.slope.forEach((s, i) => {
    if (Math.abs(s - target) <= 0.01 * Math.abs(target)) at ??= t.epochs[i];
    else at = null;
  });
  return at;
}

const legendName = (t: LinregTrace, label: string) => (t.divergedAt === null ? label : `${label} (diverged at epoch ${t.divergedAt})`);

function drawGroup(
  folder: RunFolder,
  key: string,
  title: string,
  traces: { label: string; t: LinregTrace }[],
  p: LinregProblem,
  cfg: LinregConfig,
): void {
  const units = traces[0].t.setting.normalised ? 'standardised' : 'raw';
  const loss: Series[] = traces.map(({ label, t }) => ({
    name: legendName(t, label),
    x: t.epochs,
    y: t.loss.map((v) => Math.log10(v)),
  }));
  const diverged = traces.filter(({ t }) => t.divergedAt !== null);
  const note = diverged.length
    ? `${diverged.map(({ label, t }) => `${label} diverged: its loss grew past ${1e6}x the initial loss (or overflowed) at epoch ${t.divergedAt}, so training stopped and nothing after is drawn`).join('; ')}`
    : 'no run diverged';
  folder.figure(
    `loss_${key}`,
    `${title}: loss per epoch`,
    linePlot(loss, {
      title: `${title}: MSE per epoch (${units} units)`,
      xLabel: 'epoch',
      yLabel: 'log10 MSE',
      integerX: true,
    }),
    note,
  );
  // A fixed window around the true slope keeps the converging runs readable; a run that leaves
  // it is drawn up to that epoch and named as leaving it.
  const view: [number, number] = [-2 * Math.abs(cfg.slope), 3 * Math.abs(cfg.slope)];
  const slope: Series[] = [
    ...traces.map(({ label, t }) => {
      const out = t.slope.findIndex((v) => v < view[0] || v > view[1]);
      const n = out < 0 ? t.slope.length : Math.max(out, 1);
      const left = out < 0 ? '' : `, leaves the view at epoch ${t.epochs[out]}`;
      return { name: legendName(t, label) + left, x: t.epochs.slice(0, n), y: t.slope.slice(0, n) };
    }),
    { name: `true m = ${cfg.slope}`, x: [0, cfg.epochs], y: [cfg.slope, cfg.slope] },
  ];
  folder.figure(
    `slope_${key}`,
    `${title}: learned slope per epoch`,
    linePlot(slope, {
      title: `${title}: learned slope (data units) per epoch`,
      xLabel: 'epoch',
      yLabel: 'slope',
      integerX: true,
      yDomain: view,
      legendAt: 'bottom',
    }),
    note,
  );
  const fitted = traces
    .filter(({ t }) => t.divergedAt === null)
    .map(({ label, t }) => ({
      name: `${label}: y = ${f3(t.slope.at(-1)!)} x ${t.intercept.at(-1)! < 0 ? '-' : '+'} ${f3(Math.abs(t.intercept.at(-1)!))}`,
      slope: t.slope.at(-1)!,
      intercept: t.intercept.at(-1)!,
    }));
  folder.figure(
    `fit_${key}`,
    `${title}: fitted lines`,
    scatterFit(p.raw.x, p.raw.y, fitted, {
      title: `${title}: the data and the lines after training`,
      xLabel: 'x',
      yLabel: 'y',
    }),
    diverged.length ? `not drawn (diverged): ${diverged.map(({ label }) => label).join(', ')}` : '',
  );
}

export async function run(cfg: LinregConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  const { folder, log } = startSynthetic('linreg', cfg, hooks, {
    model: 'nn.Linear(1,1)',
    loss: 'MSE (mean)',
    optimizer: 'plain SGD (optim.SGD), shuffled batches',
    normalisation:
      'standardised runs: x and y each minus its mean, over its standard deviation; slopes are reported back in the data units',
    divergence: 'a run stops at the first epoch whose full-data MSE is not finite or exceeds 1e6 times its initial value',
  });
  const p = linregProblem(linregData(cfg.n, cfg.slope, cfg.noise, cfg.xRange, cfg.seed));
  const ls = leastSquares(p.raw.x, p.raw.y);
  const lsStd = leastSquares(p.xs.values, p.ys.values);
  const cache = new Map<string, LinregTrace>();
  const train = async (s: LinregSetting): Promise<LinregTrace> => {
    const key = `${s.lr}/${s.batch}/${s.normalised}`;
    if (!cache.has(key)) {
      const t = await trainLinreg('optim', s, p, cfg.epochs, cfg.seed);
      log(
        `${s.normalised ? 'standardised' : 'raw'} ${lrName(s.lr)} batch ${s.batch}: ` +
          (t.divergedAt !== null
            ? `DIVERGED at epoch ${t.divergedAt}`
            : `slope ${f3(t.slope.at(-1)!)} (true ${cfg.slope}, least squares ${f3(ls.slope)})`),
      );
      cache.set(key, t);
    }
    return cache.get(key)!;
  };
  const group = async (settings: { label: string; s: LinregSetting }[]) => {
    const out: { label: string; t: LinregTrace }[] = [];
    for (const { label, s } of settings) out.push({ label, t: await train(s) });
    return out;
  };
  const lrNorm = await group(cfg.lrs.map((lr) => ({ label: lrName(lr), s: { name: lrName(lr), lr, batch: 1, normalised: true } })));
  const batchNorm = await group(
    cfg.batches.map((b) => ({
      label: `batch ${b}`,
      s: { name: `batch ${b}`, lr: cfg.batchLr, batch: b, normalised: true },
    })),
  );
  const lrRaw = await group(cfg.lrs.map((lr) => ({ label: lrName(lr), s: { name: lrName(lr), lr, batch: 1, normalised: false } })));

  const rows = [...cache.values()].flatMap((t) =>
    t.epochs.map((e, i) => [
      t.setting.normalised ? 'standardised' : 'raw',
      t.setting.lr,
      t.setting.batch,
      e,
      t.loss[i],
      t.weight[i],
      t.slope[i],
      t.intercept[i],
    ]),
  );
  writeCsv(join(folder.dir, 'metrics.csv'), ['data', 'lr', 'batch', 'epoch', 'mse', 'weight', 'slope', 'intercept'], rows);

  const final = (t: LinregTrace) => (t.divergedAt !== null ? `diverged at epoch ${t.divergedAt}` : `${f3(t.slope.at(-1)!)}`);
  reportVsNnlab(
    folder,
    cfg.preset,
    `How do the learning rate, the batch size and standardisation change SGD on y = ${cfg.slope}x + N(0, ${cfg.noise}^2)?`,
    [
      ...lrNorm.map(({ label, t }) => ({
        quantity: `standardised, ${label}, batch 1: slope in standardised units after ${cfg.epochs} epochs (least squares ${f3(lsStd.slope)})`,
        report: `${REPORT_NORMALISED_SLOPE[String(t.setting.lr)] ?? '-'} after 200 epochs`,
        nnlab: t.divergedAt !== null ? final(t) : f3(t.weight.at(-1)!),
      })),
      ...batchNorm.map(({ label, t }) => ({
        quantity: `standardised, lr ${cfg.batchLr}, ${label}: epoch from which the slope stays within 1% of least squares`,
        report:
          t.setting.batch === 1
            ? 'fastest, noisy after convergence'
            : t.setting.batch === 100
              ? 'smooth, one step per epoch, slowest'
              : 'good compromise',
        nnlab: String(settledAt(t, ls.slope) ?? `not within ${cfg.epochs} epochs`),
      })),
      ...lrRaw.map(({ label, t }) => ({
        quantity: `raw data, ${label}, batch 1: slope after ${cfg.epochs} epochs (true ${cfg.slope}, least squares ${f3(ls.slope)})`,
        report: 'within 1% of 5 (figure 4)',
        nnlab: final(t),
      })),
    ],
    `${cfg.epochs} epochs instead of the report's ${LINREG_FULL.epochs}`,
  );
  drawGroup(folder, 'lr_standardised', 'Standardised data, batch 1', lrNorm, p, cfg);
  drawGroup(folder, 'batch_standardised', `Standardised data, lr ${cfg.batchLr}`, batchNorm, p, cfg);
  drawGroup(folder, 'lr_raw', 'Raw data, batch 1', lrRaw, p, cfg);

  const headline: Record<string, number | string> = {
    true_slope: cfg.slope,
    least_squares_slope: ls.slope,
    epochs: cfg.epochs,
  };
  for (const { t } of lrNorm) headline[`standardised_lr_${t.setting.lr}_slope`] = t.slope.at(-1)!;
  for (const { t } of batchNorm) headline[`standardised_batch_${t.setting.batch}_settled_epoch`] = settledAt(t, ls.slope) ?? -1;
  for (const { t } of lrRaw)
    headline[`raw_lr_${t.setting.lr}_${t.divergedAt !== null ? 'diverged_at_epoch' : 'slope'}`] = t.divergedAt ?? t.slope.at(-1)!;
  return folder.finish(headline, {
    traces: [...cache.values()].map((t) => ({
      ...t.setting,
      diverged_at: t.divergedAt,
      // A diverged run has no final line: its last finite values are in metrics.csv.
      final_slope: t.divergedAt === null ? t.slope.at(-1) : null,
      final_weight: t.divergedAt === null ? t.weight.at(-1) : null,
    })),
  });
}
