// Study `knn-max` (seed 001, section 4): the class-max grid driven through the exact k-NN instead
// of the CNN. The k-NN has no gradient: its pseudo-probability (the target's share of the k
// neighbours) is raised by a pseudo-gradient toward the nearest target-class images and away from
// the wrong neighbours, on randomly masked pixels, until p >= 0.6. The CNN's log-loss ascent runs
// on the same pairs to the same threshold; each model then judges the other's images.
import { explain, RandomGenerator } from '../index.js';
import { ArgumentError } from '../core/errors.js';
import { KNN_TIE_RULES } from '../models/knn.js';
import { SEED_CNN_TRAIN } from '../train/classifier.js';
import type { TrainSettings } from '../train/classifier.js';
import { linePlot } from '../viz/line-plot.js';
import type { StudySummary } from '../report/run-folder.js';
import { BaseConfig, FULL_PRESET, quickPreset, RunHooks, startRun } from './shared/common.js';
import {
  asImages,
  CLASSES,
  cnnTargetProb,
  meanCurve,
  median,
  movedL2,
  pairGrid,
  pairGridFigure,
  pickSources,
  trainPixelCnn,
} from './shared/target-grid.js';

export interface KnnMaxConfig extends BaseConfig {
  /** The seed CNN the k-NN is compared with (trained in the run). */
  train: TrainSettings;
  ks: number[];
  /** The k-NN's step (L2, pixel units, before masking), step budget, stopping share and mask. */
  lr: number;
  maxSteps: number;
  targetProb: number;
  maskProb: number;
  push: number;
  /** The CNN's log-loss step on the same pairs (stopped at the same targetProb). */
  cnnLr: number;
}

export const KNN_MAX_FULL: KnnMaxConfig = {
  ...FULL_PRESET,
  train: SEED_CNN_TRAIN,
  ks: [3, 5],
  lr: 1,
  maxSteps: 200,
  targetProb: 0.6,
  maskProb: 0.5,
  push: 1,
  cnnLr: 0.1,
};

export const KNN_MAX_QUICK: KnnMaxConfig = quickPreset(KNN_MAX_FULL, 10000, 1000, {
  train: { epochs: 2, batch: 128, lr: 1e-3 },
});

const REPORT = {
  p: 'p_i(x) can reach values close to 0.6 for the target class',
  image: "the generated image stays blurry, hard to recognise, without the target class's visual traits",
  cost: 'costly: every update recomputes the distances to the whole training set',
  cnn: 'the CNN gives a much more structured image, although its final p_i is sometimes lower (e.g. 0.5065 vs 0.60 for k-NN)',
};

function checkConfig(c: KnnMaxConfig): void {
  if (!c.ks.length || !c.ks.every((k) => Number.isInteger(k) && k >= 1))
    throw new ArgumentError(`knn-max: ks must be positive integers, got [${c.ks.join(', ')}]`);
  for (const [name, v] of [
    ['lr', c.lr],
    ['cnnLr', c.cnnLr],
  ] as const)
    if (!(Number.isFinite(v) && v > 0)) throw new ArgumentError(`knn-max: ${name} must be a finite number > 0, got ${v}`);
  if (!(Number.isInteger(c.maxSteps) && c.maxSteps >= 1))
    throw new ArgumentError(`knn-max: maxSteps must be an integer >= 1, got ${c.maxSteps}`);
}

interface Outcome {
  name: string;
  images: Float32Array;
  pFinal: Float32Array;
  /** Steps to reach targetProb, -1 if never. */
  stepsToTarget: Int32Array;
  pHistory: number[][];
  seconds: number;
}

export async function run(cfg: KnnMaxConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  checkConfig(cfg);
  const ctx = startRun('knn-max', cfg, hooks, {
    knn: "exact k-NN on the 8-bit pixels of the train split (the k-NN's memory), neighbours by a GEMM with certified margins and exact integer re-scoring",
    knn_tie_rules: KNN_TIE_RULES,
    pseudo_gradient:
      'mean(x - X_j) over the k nearest target-class images minus push * mean(x - X_j) over the wrong-class neighbours, unit L2 norm, random pixel mask',
    sources: 'the first test image of each class the CNN classifies correctly',
  });
  const { folder, mnist, log } = ctx;
  const cnn = await trainPixelCnn(ctx, cfg.train, cfg.seed);
  const memory = new explain.KnnMemory({ pixels: mnist.train.pixels, labels: mnist.train.labels, n: mnist.train.n });
  try {
    const grid = pairGrid(mnist.test, pickSources(mnist.test, cnn.pred));
    const off = grid.offDiagonal;
    const x = asImages(grid.pixels);

    const outcomes: Outcome[] = cfg.ks.map((k) => {
      const t0 = performance.now();
      const r = explain.knnMax(memory, x, {
        targets: grid.targets,
        k,
        lr: cfg.lr,
        maxSteps: cfg.maxSteps,
        targetProb: cfg.targetProb,
        maskProb: cfg.maskProb,
        push: cfg.push,
        generator: new RandomGenerator(cfg.seed + k),
      });
      const images = Float32Array.from(r.images.data() as Float32Array);
      r.images.dispose();
      const o = {
        name: `k-NN k=${k}`,
        images,
        pFinal: r.pFinal,
        stepsToTarget: r.stepsToTarget,
        pHistory: r.pHistory,
        seconds: (performance.now() - t0) / 1000,
      };
      log(
        `k-NN k=${k}: ${off.filter((i) => r.stepsToTarget[i] >= 0).length}/${off.length} pairs reach p >= ${cfg.targetProb} (${o.seconds.toFixed(1)} s)`,
      );
      return o;
    });
    const t0 = performance.now();
    const c = explain.classMax(cnn.model, x, {
      targets: grid.targets,
      loss: 'log',
      lr: cfg.cnnLr,
      maxSteps: cfg.maxSteps,
      targetProb: cfg.targetProb,
    });
    const cnnOutcome: Outcome = {
      name: 'CNN (log loss)',
      images: Float32Array.from(c.images.data() as Float32Array),
      pFinal: c.pFinal,
      pHistory: c.pHistory,
      seconds: (performance.now() - t0) / 1000,
      stepsToTarget: Int32Array.from(c.stopReason, (s, i) => (s === 'prob' ? c.steps[i] : -1)),
    };
    c.images.dispose();
    log(`CNN: ${off.filter((i) => cnnOutcome.stepsToTarget[i] >= 0).length}/${off.length} pairs reach p >= ${cfg.targetProb}`);
    const all = [...outcomes, cnnOutcome];

    // Each model judges the other's images: the CNN's p_target on k-NN images, the k-NN's share on CNN images.
    const cnnJudge = (o: Outcome) => {
      const t = asImages(o.images);
      const p = cnnTargetProb(cnn, t, grid.targets);
      t.dispose();
      return p;
    };
    const knnJudge = (o: Outcome, k: number) => {
      const t = asImages(o.images);
      const p = explain.knnTargetShare(memory, t, grid.targets, k);
      t.dispose();
      return p;
    };
    const mean = (v: ArrayLike<number>) => off.reduce((a, i) => a + v[i], 0) / off.length;
    const reached = (o: Outcome) => off.filter((i) => o.stepsToTarget[i] >= 0).length;
    const steps = (o: Outcome) => off.filter((i) => o.stepsToTarget[i] >= 0).map((i) => o.stepsToTarget[i]);
    const moved = (o: Outcome) => {
      const d = movedL2(grid.pixels, o.images);
      return median(off.map((i) => d[i]));
    };
    const cross = all.map((o) => ({ cnnP: mean(cnnJudge(o)), knnP: cfg.ks.map((k) => mean(knnJudge(o, k))) }));

    for (const o of all) {
      const name = o === cnnOutcome ? 'grid_cnn' : `grid_knn_k${o.name.split('=')[1]}`;
      folder.figure(
        name,
        `${o.name}: each source image driven to each class`,
        pairGridFigure(
          o.images,
          (i) => [
            `${Math.floor(i / CLASSES)}->${grid.targets[i]}`,
            `p=${o.pFinal[i].toFixed(2)} n=${o.stepsToTarget[i] >= 0 ? o.stepsToTarget[i] : '-'}`,
          ],
          (i) => o.stepsToTarget[i] < 0,
          `${o.name}: rows = source class, columns = target (stop at p >= ${cfg.targetProb})`,
        ),
        'n = steps to reach the threshold; red = never reached',
      );
    }
    const longest = Math.max(...all.map((o) => Math.max(...off.map((i) => o.pHistory[i].length))));
    folder.figure(
      'p_curves',
      'Mean target (pseudo-)probability per step',
      linePlot(
        all.map((o) => ({
          name: o.name,
          x: Array.from({ length: longest }, (_, s) => s),
          y: meanCurve(o.pHistory, off, longest),
        })),
        {
          title: 'Mean p_target over the 90 pairs (stopped images carried forward)',
          xLabel: 'step',
          yLabel: 'p_target (k-NN: share of the k neighbours)',
          yDomain: [0, 1],
          legendAt: 'bottom',
        },
      ),
    );
    folder.table(
      'knn_vs_cnn',
      {
        title: `k-NN and CNN driven to p >= ${cfg.targetProb} on the ${off.length} off-diagonal pairs`,
        columns: [
          'model',
          'pairs reaching',
          'median steps',
          'max steps',
          'median L2 moved',
          'CNN p_target of the images',
          ...cfg.ks.map((k) => `k=${k} share of the images`),
          'seconds',
        ],
        rows: all.map((o, j) => [
          o.name,
          reached(o),
          median(steps(o)),
          Math.max(...steps(o)),
          +moved(o).toFixed(2),
          +cross[j].cnnP.toFixed(3),
          ...cross[j].knnP.map((v) => +v.toFixed(3)),
          +o.seconds.toFixed(1),
        ]),
      },
      "each model judges the other's images: a k-NN image the CNN also calls the target carries the class's traits",
    );
    folder.table('report_vs_nnlab', {
      title: `Report says / nnlab gets (${cfg.preset} preset, k-NN memory of ${memory.memory.n} images)`,
      columns: ['topic', 'report says', 'nnlab gets'],
      rows: [
        [
          'k-NN pseudo-probability',
          REPORT.p,
          outcomes
            .map((o) => `${o.name}: ${reached(o)}/${off.length} pairs reach ${cfg.targetProb}, median ${median(steps(o))} steps`)
            .join('; '),
        ],
        [
          'k-NN images',
          REPORT.image,
          outcomes.map((o, j) => `${o.name}: the CNN gives them mean p_target ${cross[j].cnnP.toFixed(2)}`).join('; '),
        ],
        [
          'cost',
          REPORT.cost,
          outcomes.map((o) => `${o.name}: ${o.seconds.toFixed(1)} s for the grid`).join('; ') + `; CNN ${cnnOutcome.seconds.toFixed(1)} s`,
        ],
        [
          'CNN',
          REPORT.cnn,
          `${reached(cnnOutcome)}/${off.length} pairs reach ${cfg.targetProb} in median ${median(steps(cnnOutcome))} steps; the k-NN gives its images a mean share of ${cross[all.length - 1].knnP.map((v) => v.toFixed(2)).join(' / ')} (k = ${cfg.ks.join(' / ')})`,
        ],
      ],
    });

    x.dispose();
    const headline: Record<string, number> = {};
    outcomes.forEach((o, j) => {
      const k = cfg.ks[j];
      headline[`knn${k}_pairs_reached`] = reached(o);
      headline[`knn${k}_median_steps`] = median(steps(o));
      headline[`knn${k}_max_steps`] = Math.max(...steps(o));
      headline[`knn${k}_cnn_p_of_images`] = cross[j].cnnP;
      headline[`knn${k}_seconds`] = o.seconds;
    });
    return folder.finish(
      {
        ...headline,
        pairs: off.length,
        cnn_pairs_reached: reached(cnnOutcome),
        cnn_median_steps: median(steps(cnnOutcome)),
        cnn_max_steps: Math.max(...steps(cnnOutcome)),
        ...Object.fromEntries(cfg.ks.map((k, j) => [`knn${k}_share_of_cnn_images`, cross[all.length - 1].knnP[j]])),
        cnn_test_accuracy: cnn.testAccuracy,
        knn_memory: memory.memory.n,
      },
      { target_prob: cfg.targetProb },
    );
  } finally {
    memory.dispose();
    cnn.dispose();
    mnist.dispose();
  }
}
