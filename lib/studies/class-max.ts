// Study `class-max` (seed 001, section 3): turn a real test image of each class into each target
// class by gradient ascent on its pixels through the seed CNN (clipped to [0, 1]), with the
// report's naive loss -p_t (which stalls: its gradient p_t * grad log p_t vanishes on confidently
// classified starts) and its log loss -log(p_t + 1e-10) with a normalised gradient; the effect of
// the learning rate, and random starts.
import { explain, RandomGenerator, ops } from '../index.js';
import { ArgumentError } from '../core/errors.js';
import { SEED_CNN_TRAIN } from '../train/classifier.js';
import type { TrainSettings } from '../train/classifier.js';
import { imageGrid } from '../viz/image-grid.js';
import { linePlot } from '../viz/line-plot.js';
import type { StudySummary } from '../report/run-folder.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import type { PixelCnn } from './shared/target-grid.js';
import {
  asImages,
  CLASSES,
  meanCurve,
  median,
  movedL2,
  pairGrid,
  pairGridFigure,
  pickSources,
  trainPixelCnn,
} from './shared/target-grid.js';

export interface ClassMaxConfig extends BaseConfig {
  train: TrainSettings;
  /** The log loss's step (L2 pixel units) on the grid and the random starts. */
  lr: number;
  maxSteps: number;
  /** An image stops once p_target reaches this. */
  targetProb: number;
  /** The headline threshold: every pair must reach it with the log loss. */
  reachProb: number;
  /** Learning rates of the naive loss (plain gradient, as in the report) and its step budget. */
  naiveLrs: number[];
  naiveMaxSteps: number;
  /** Learning rates of the log-loss sweep, run on the first `sweepPairs` off-diagonal pairs (all when larger). */
  lrSweep: number[];
  sweepPairs: number;
  /** Uniform-noise starts per target class. */
  randomStarts: number;
  /** A start counts as confidently classified elsewhere when its p_target is below this. */
  confidentBelow: number;
}

export const CLASS_MAX_FULL: ClassMaxConfig = {
  ...FULL_PRESET,
  train: SEED_CNN_TRAIN,
  lr: 0.1,
  maxSteps: 500,
  targetProb: 0.99,
  reachProb: 0.9,
  naiveLrs: [0.1, 100],
  naiveMaxSteps: 500,
  lrSweep: [0.01, 0.1, 0.5, 2],
  sweepPairs: 90,
  randomStarts: 5,
  confidentBelow: 1e-3,
};

export const CLASS_MAX_QUICK: ClassMaxConfig = quickPreset(CLASS_MAX_FULL, 10000, 1000, {
  train: { epochs: 2, batch: 128, lr: 1e-3 },
  maxSteps: 300,
  naiveMaxSteps: 60,
  sweepPairs: 10,
  randomStarts: 2,
});

/** The seed report's own statements, beside which the run's numbers are shown. */
const REPORT = {
  naive: 'gradients very small (close to zero): the optimisation stagnates',
  log: 'log loss + normalised gradient: well-conditioned updates, converges even when p_i(x) starts very low',
  lr: 'too high: jumps, oscillation; too low: very slow progress',
  starts: "different random starts give different prototypes, all with the target class's typical structures",
};

function checkConfig(c: ClassMaxConfig): void {
  for (const [name, v] of [['lr', c.lr], ...c.naiveLrs.map((l) => ['naiveLrs', l]), ...c.lrSweep.map((l) => ['lrSweep', l])] as [
    string,
    number,
  ][])
    if (!(Number.isFinite(v) && v > 0)) throw new ArgumentError(`class-max: ${name} must hold finite numbers > 0, got ${v}`);
  if (!c.naiveLrs.length || !c.lrSweep.length) throw new ArgumentError('class-max: naiveLrs and lrSweep need at least one learning rate');
  for (const [name, v] of [
    ['maxSteps', c.maxSteps],
    ['naiveMaxSteps', c.naiveMaxSteps],
    ['sweepPairs', c.sweepPairs],
    ['randomStarts', c.randomStarts],
  ] as const)
    if (!(Number.isInteger(v) && v >= 1)) throw new ArgumentError(`class-max: ${name} must be an integer >= 1, got ${v}`);
  if (!(c.reachProb > 0 && c.reachProb <= c.targetProb && c.targetProb <= 1))
    throw new ArgumentError(`class-max: need 0 < reachProb <= targetProb <= 1, got ${c.reachProb}, ${c.targetProb}`);
}

/**
 * Snapshots of one image along its log-loss ascent: the ascent is memoryless (each step depends on
 * the current image only), so chaining runs of `chunk` steps retraces the single run.
 */
function trajectoryFigure(model: PixelCnn['model'], start: Float32Array, target: number, totalSteps: number, cfg: ClassMaxConfig): string {
  const chunk = Math.max(1, Math.ceil(totalSteps / 7));
  const frames: { px: Float32Array; caption: string[] }[] = [];
  let px = start,
    done = 0;
  for (;;) {
    const r = explain.classMax(model, asImages(px), {
      targets: [target],
      lr: cfg.lr,
      maxSteps: chunk,
      targetProb: cfg.targetProb,
    });
    if (!frames.length) frames.push({ px, caption: ['step 0', `p=${fmtP(r.pInitial[0])}`] });
    px = Float32Array.from(r.images.data() as Float32Array);
    r.images.dispose();
    done += r.steps[0];
    frames.push({ px, caption: [`step ${done}`, `p=${fmtP(r.pFinal[0])}`] });
    if (r.stopReason[0] !== 'steps' || r.steps[0] === 0) break;
  }
  return imageGrid(
    frames.map((f) => ({ pixels: f.px, caption: f.caption })),
    {
      h: 28,
      w: 28,
      scale: 3,
      columns: frames.length,
      title: `Log loss, lr ${cfg.lr}: the image toward class ${target}`,
    },
  );
}

const fmtP = (p: number) => (p < 1e-3 ? p.toExponential(0) : p.toFixed(3));
const stepAxis = (n: number) => Array.from({ length: n }, (_, s) => s);

export async function run(cfg: ClassMaxConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  checkConfig(cfg);
  const ctx = startRun('class-max', cfg, hooks, {
    model: 'seed CNN (trained in the run) behind a normalising layer: the pixels in [0, 1] are optimised',
    losses: {
      naive: '-p_t(x), plain gradient step',
      log: `-log(p_t(x) + ${explain.LOG_LOSS_EPS}), gradient divided by its L2 norm`,
    },
    sources: 'the first test image of each class the CNN classifies correctly',
  });
  const { folder, mnist, log } = ctx;
  const cnn = await trainPixelCnn(ctx, cfg.train, cfg.seed);
  try {
    const grid = pairGrid(mnist.test, pickSources(mnist.test, cnn.pred));
    const off = grid.offDiagonal;
    const x = asImages(grid.pixels);
    const maximise = (loss: explain.ClassMaxLoss, lr: number, maxSteps: number, images = x, targets = grid.targets) => {
      const t0 = performance.now();
      const r = explain.classMax(cnn.model, images, { targets, loss, lr, maxSteps, targetProb: cfg.targetProb });
      log(
        `${loss} loss, lr ${lr}: ${r.pFinal.filter((p) => p >= cfg.reachProb).length}/${targets.length} images reach p >= ${cfg.reachProb} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
      return r;
    };

    // The 10x10 grid with the log loss, and with the naive loss at each of its learning rates.
    const logRun = maximise('log', cfg.lr, cfg.maxSteps);
    const naiveRuns = cfg.naiveLrs.map((lr) => ({ lr, r: maximise('naive', lr, cfg.naiveMaxSteps) }));
    const caption = (r: explain.ClassMaxResult) => (i: number) => [
      `${Math.floor(i / CLASSES)}->${grid.targets[i]}`,
      `p=${fmtP(r.pFinal[i])} n=${r.steps[i]}`,
    ];
    const missed = (r: explain.ClassMaxResult) => (i: number) => r.pFinal[i] < cfg.reachProb;
    folder.figure(
      'grid_log',
      'Log loss: each source image turned into each class',
      pairGridFigure(
        logRun.images,
        caption(logRun),
        missed(logRun),
        `Log loss, normalised gradient, lr ${cfg.lr}: rows = source class, columns = target`,
      ),
      `p = final p_target, n = steps; red = p < ${cfg.reachProb}`,
    );
    for (const { lr, r } of naiveRuns)
      folder.figure(
        `grid_naive_lr${String(lr).replace('.', 'p')}`,
        `Naive loss -p, lr ${lr}`,
        pairGridFigure(r.images, caption(r), missed(r), `Naive loss -p_t, lr ${lr}, ${cfg.naiveMaxSteps} steps at most`),
        `red = p < ${cfg.reachProb}`,
      );

    // The stall, measured: confident starts, their gradient norms under both losses, how far the naive steps moved them.
    const confident = off.filter((i) => logRun.pInitial[i] < cfg.confidentBelow);
    const naive0 = naiveRuns[0].r;
    const naiveMoved = movedL2(grid.pixels, naive0.images.data() as Float32Array);
    const reached = (r: explain.ClassMaxResult, idx: number[]) => idx.filter((i) => r.pFinal[i] >= cfg.reachProb).length;
    const g0 = (r: explain.ClassMaxResult, idx: number[]) => idx.map((i) => r.gradNormHistory[i][0]);
    const lossRow = (name: string, lr: number, r: explain.ClassMaxResult) => {
      const moved = movedL2(grid.pixels, r.images.data() as Float32Array);
      return [
        name,
        lr,
        reached(r, off),
        reached(r, confident),
        median(g0(r, off)).toExponential(2),
        median(off.map((i) => r.steps[i])),
        +median(off.map((i) => moved[i])).toPrecision(3),
        +Math.max(...confident.map((i) => r.pFinal[i])).toPrecision(4),
      ];
    };
    folder.table('naive_vs_log', {
      title: `Naive vs log loss on the ${off.length} off-diagonal pairs (${confident.length} start with p_target < ${cfg.confidentBelow})`,
      columns: [
        'loss',
        'lr',
        `pairs reaching p >= ${cfg.reachProb}`,
        `of the confident starts`,
        'median initial |grad|',
        'median steps',
        'median L2 moved',
        'max final p (confident starts)',
      ],
      rows: [lossRow('log (normalised)', cfg.lr, logRun), ...naiveRuns.map(({ lr, r }) => lossRow('naive', lr, r))],
    });
    const steps = Math.max(
      ...off.map((i) => logRun.pHistory[i].length),
      ...naiveRuns.map(({ r }) => Math.max(...off.map((i) => r.pHistory[i].length))),
    );
    folder.figure(
      'p_target_curves',
      'Mean p_target per step',
      linePlot(
        [
          { name: `log, lr ${cfg.lr}`, x: stepAxis(steps), y: meanCurve(logRun.pHistory, off, steps) },
          ...naiveRuns.map(({ lr, r }) => ({
            name: `naive, lr ${lr}`,
            x: stepAxis(steps),
            y: meanCurve(r.pHistory, off, steps),
          })),
        ],
        {
          title: 'Mean p_target over the 90 pairs (stopped images carried forward)',
          xLabel: 'step',
          yLabel: 'p_target',
          yDomain: [0, 1],
          legendAt: 'bottom',
        },
      ),
    );
    folder.figure(
      'grad_norm_curves',
      'Mean log10 gradient norm per step',
      linePlot(
        [
          {
            name: `log loss, lr ${cfg.lr}`,
            x: stepAxis(steps),
            y: meanCurve(logRun.gradNormHistory, off, steps, Math.log10),
          },
          ...naiveRuns.map(({ lr, r }) => ({
            name: `naive, lr ${lr}`,
            x: stepAxis(steps),
            y: meanCurve(r.gradNormHistory, off, steps, (v) => Math.log10(Math.max(v, 1e-30))),
          })),
        ],
        { title: 'Mean log10 |d loss / d x| over the 90 pairs', xLabel: 'step', yLabel: 'log10 gradient L2 norm' },
      ),
      "before normalisation; the naive loss's gradient is p_t times the log loss's",
    );

    // Learning-rate sweep on a subset of pairs.
    const sweepIdx = off.slice(0, cfg.sweepPairs);
    const sweepX = asImages(Float32Array.from(sweepIdx.flatMap((i) => [...grid.pixels.subarray(i * 784, (i + 1) * 784)])));
    const sweepTargets = sweepIdx.map((i) => grid.targets[i]);
    const sweep = cfg.lrSweep.map((lr) => ({ lr, r: maximise('log', lr, cfg.maxSteps, sweepX, sweepTargets) }));
    const all = sweepTargets.map((_, j) => j);
    const drops = (h: number[]) => h.slice(1).filter((p, s) => p < h[s] - 1e-3).length;
    folder.table(
      'lr_sweep',
      {
        title: `Log loss: learning-rate sweep on ${sweepIdx.length} pairs`,
        columns: [
          'lr',
          `pairs reaching p >= ${cfg.reachProb}`,
          'median steps',
          'max steps',
          'mean final p',
          'mean p drops per run',
          'median L2 moved',
        ],
        rows: sweep.map(({ lr, r }) => {
          const moved = movedL2(sweepX.data() as Float32Array, r.images.data() as Float32Array);
          return [
            lr,
            reached(r, all),
            median(all.map((j) => r.steps[j])),
            Math.max(...r.steps),
            +(r.pFinal.reduce((a, b) => a + b, 0) / all.length).toFixed(4),
            +(all.reduce((a, j) => a + drops(r.pHistory[j]), 0) / all.length).toFixed(2),
            +median(moved).toFixed(3),
          ];
        }),
      },
      'p drops: steps at which p_target fell by more than 0.001 (oscillation)',
    );
    const sweepSteps = Math.max(...sweep.map(({ r }) => Math.max(...r.pHistory.map((h) => h.length))));
    folder.figure(
      'lr_sweep_curves',
      'Mean p_target per step for each learning rate',
      linePlot(
        sweep.map(({ lr, r }) => ({
          name: `lr ${lr}`,
          x: stepAxis(sweepSteps),
          y: meanCurve(r.pHistory, all, sweepSteps),
        })),
        {
          title: `Log loss: mean p_target on ${sweepIdx.length} pairs per learning rate`,
          xLabel: 'step',
          yLabel: 'p_target',
          yDomain: [0, 1],
          legendAt: 'bottom',
        },
      ),
    );

    // Random starts: uniform noise images driven to each class.
    const starts = ops.rand([cfg.randomStarts * CLASSES, 1, 28, 28], { generator: new RandomGenerator(cfg.seed + 1) });
    const startTargets = Array.from({ length: cfg.randomStarts * CLASSES }, (_, i) => i % CLASSES);
    const randomRun = maximise('log', cfg.lr, cfg.maxSteps, starts, startTargets);
    const startPx = starts.data() as Float32Array,
      endPx = randomRun.images.data() as Float32Array;
    folder.figure(
      'random_starts',
      'Random starts driven to each class',
      pairGridFigure(
        Float32Array.from([...startPx.subarray(0, CLASSES * 784), ...endPx]),
        (i) =>
          i < CLASSES
            ? [`start -> ${i}`]
            : [`-> ${startTargets[i - CLASSES]}`, `p=${fmtP(randomRun.pFinal[i - CLASSES])} n=${randomRun.steps[i - CLASSES]}`],
        (i) => i >= CLASSES && randomRun.pFinal[i - CLASSES] < cfg.reachProb,
        `Uniform-noise starts (first row: the first start of each column) and the images they become`,
      ),
      `${cfg.randomStarts} starts per class`,
    );
    const prototypeSpread = median(
      Array.from({ length: CLASSES }, (_, t) => {
        const rows = startTargets.map((c, i) => (c === t ? i : -1)).filter((i) => i >= 0);
        const d: number[] = [];
        for (let a = 0; a < rows.length; a++)
          for (let b = a + 1; b < rows.length; b++)
            d.push(movedL2(endPx.subarray(rows[a] * 784, (rows[a] + 1) * 784), endPx.subarray(rows[b] * 784, (rows[b] + 1) * 784))[0]);
        return median(d);
      }),
    );

    // One pair's trajectory, step by step.
    const pair = off.reduce((a, i) => (logRun.steps[i] > logRun.steps[a] ? i : a), off[0]);
    folder.figure(
      'trajectory',
      'One pair, step by step',
      trajectoryFigure(cnn.model, grid.pixels.slice(pair * 784, (pair + 1) * 784), grid.targets[pair], logRun.steps[pair], cfg),
      `the pair with the most steps: ${Math.floor(pair / CLASSES)} -> ${grid.targets[pair]}`,
    );

    const logMin = Math.min(...off.map((i) => logRun.pFinal[i]));
    folder.table('report_vs_nnlab', {
      title: `Report says / nnlab gets (${cfg.preset} preset)`,
      columns: ['topic', 'report says', 'nnlab gets'],
      rows: [
        [
          'naive loss -p',
          REPORT.naive,
          `lr ${cfg.naiveLrs[0]}: ${reached(naive0, confident)}/${confident.length} confident starts reach ${cfg.reachProb}; median initial |grad| ${median(g0(naive0, confident)).toExponential(1)}, median L2 moved ${median(confident.map((i) => naiveMoved[i])).toExponential(1)}`,
        ],
        [
          'log loss',
          REPORT.log,
          `${reached(logRun, off)}/${off.length} pairs reach p >= ${cfg.reachProb} (min ${logMin.toFixed(3)}), median ${median(off.map((i) => logRun.steps[i]))} steps`,
        ],
        ['learning rate', REPORT.lr, sweep.map(({ lr, r }) => `lr ${lr}: median ${median(all.map((j) => r.steps[j]))} steps`).join('; ')],
        [
          'random starts',
          REPORT.starts,
          `${reached(
            randomRun,
            startTargets.map((_, i) => i),
          )}/${startTargets.length} reach ${cfg.reachProb}; median L2 between prototypes of one class ${prototypeSpread.toFixed(2)}`,
        ],
      ],
    });

    [x, sweepX, starts, logRun.images, randomRun.images, ...naiveRuns.map(({ r }) => r.images), ...sweep.map(({ r }) => r.images)].forEach(
      (t) => t.dispose(),
    );
    return folder.finish(
      {
        log_min_p_target: logMin,
        log_pairs_reached: reached(logRun, off),
        pairs: off.length,
        log_median_steps: median(off.map((i) => logRun.steps[i])),
        log_max_steps: Math.max(...off.map((i) => logRun.steps[i])),
        confident_pairs: confident.length,
        naive_pairs_reached: reached(naive0, off),
        naive_confident_reached: reached(naive0, confident),
        naive_confident_max_p: Math.max(...confident.map((i) => naive0.pFinal[i])),
        naive_confident_median_grad_norm: median(g0(naive0, confident)),
        log_confident_median_grad_norm: median(g0(logRun, confident)),
        naive_confident_median_moved: median(confident.map((i) => naiveMoved[i])),
        random_starts_reached: reached(
          randomRun,
          startTargets.map((_, i) => i),
        ),
        random_starts: startTargets.length,
        cnn_test_accuracy: cnn.testAccuracy,
      },
      {
        reach_prob: cfg.reachProb,
        naive_lrs: naiveRuns.map(({ lr, r }) => ({
          lr,
          reached: reached(r, off),
          confident_reached: reached(r, confident),
        })),
        lr_sweep: sweep.map(({ lr, r }) => ({
          lr,
          reached: reached(r, all),
          median_steps: median(all.map((j) => r.steps[j])),
        })),
        pairs_detail: off.map((i) => ({
          source: Math.floor(i / CLASSES),
          target: grid.targets[i],
          p_initial: logRun.pInitial[i],
          log_p: logRun.pFinal[i],
          log_steps: logRun.steps[i],
          naive_p: naive0.pFinal[i],
          naive_grad0: naive0.gradNormHistory[i][0],
          log_grad0: logRun.gradNormHistory[i][0],
        })),
      },
    );
  } finally {
    cnn.dispose();
    mnist.dispose();
  }
}
