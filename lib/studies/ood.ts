// Study `ood` (seed 000, experiment 4): the MNIST-trained single model (best member) and the
// M-member ensemble on the MNIST test set against out-of-distribution inputs: FashionMNIST by
// default (`--ood-dir DIR` takes any IDX folder, e.g. KMNIST as in the report), uniform-noise
// and Gaussian-noise images. Grids annotated y / S (single prediction, probability) / E
// (ensemble); histograms of confidence (max probability) and predictive entropy; AUROC and FPR
// at 95% TPR of max-probability and of entropy as OOD scores, for the single model and the
// ensemble, and of the ensemble's mutual information (member disagreement).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { ArgumentError, IOError } from '../core/errors.js';
import { io } from '../index.js';
import { auroc, fprAt95Tpr, meanOf, mutualInformation, predictiveEntropy } from '../metrics/index.js';
import { barChart } from '../viz/bar-chart.js';
import { histogram } from '../viz/histogram.js';
import { imageGrid } from '../viz/image-grid.js';
import type { RunHooks } from './shared/common.js';
import { loadOodDataset, noiseImages, OodSet } from './shared/ood-data.js';
import { caption, displayPixels, ensembleRows, memberProbs, memberRows, predictionOf, scoresOf } from './shared/seed000-eval.js';
import { Seed000Config, SEED000_RUN_FULL, SEED000_RUN_QUICK, startSeed000 } from './shared/seed000-run.js';
import type { StudySummary } from '../report/run-folder.js';

export interface OodConfig extends Seed000Config {
  /** The OOD data set by name ('fashion') unless `oodDir`. */
  oodDataset: string;
  /** Any IDX folder (t10k-images-idx3-ubyte, ...) as the OOD set, e.g. KMNIST. */
  oodDir?: string;
  /** First-N test images of the OOD data set (undefined = all). */
  oodLimit?: number;
  /** Images of each synthetic noise set (0 = none). */
  noiseImages: number;
  histogramBins: number;
}

export const OOD_FULL: OodConfig = { ...SEED000_RUN_FULL, oodDataset: 'fashion', noiseImages: 2000, histogramBins: 30 };
export const OOD_QUICK: OodConfig = { ...SEED000_RUN_QUICK, oodDataset: 'fashion', oodLimit: 200, noiseImages: 100, histogramBins: 20 };

/** Per-example uncertainty of one model on one set. */
interface Outputs {
  probs: Float32Array;
  confidence: Float64Array;
  entropy: Float64Array;
}

export interface OodDetection {
  set: string;
  images: number;
  single: {
    mean_confidence: number;
    mean_entropy: number;
    auroc_maxprob: number;
    auroc_entropy: number;
    fpr95_maxprob: number;
    fpr95_entropy: number;
  };
  ensemble: OodDetection['single'] & { auroc_mi: number; fpr95_mi: number; mean_mi: number };
}

const pct = (v: number) => +(100 * v).toFixed(2);
const neg = (a: Float64Array) => a.map((v) => -v);

function outputs(probs: Float32Array, classes: number): Outputs {
  const n = probs.length / classes;
  const confidence = new Float64Array(n);
  for (let i = 0; i < n; i++) confidence[i] = predictionOf(probs, i, classes).prob;
  return { probs, confidence, entropy: predictiveEntropy(probs, classes) };
}

export async function run(cfg: OodConfig, hooks: RunHooks = {}): Promise<StudySummary> {
  if (!(Number.isInteger(cfg.noiseImages) && cfg.noiseImages >= 0))
    throw new ArgumentError(`ood: noiseImages must be an integer >= 0, got ${cfg.noiseImages}`);
  if (!(Number.isInteger(cfg.histogramBins) && cfg.histogramBins > 0))
    throw new ArgumentError(`ood: histogramBins must be a positive integer, got ${cfg.histogramBins}`);
  // A wrong folder should fail now, not after the members are trained.
  if (cfg.oodDir && !existsSync(cfg.oodDir)) throw new IOError(`ood: --ood-dir folder not found: ${cfg.oodDir}`);
  const r = await startSeed000('ood', cfg, hooks, {
    scores:
      'OOD scores where higher = more in-distribution: max probability, minus the predictive entropy, minus the mutual information (ensemble); MNIST test = positive class',
  });
  const { folder, data: d, log, device } = r;
  const sets: OodSet[] = [];
  try {
    sets.push(loadOodDataset({ dataset: cfg.oodDataset, dir: cfg.oodDir, stats: d.stats, size: d.size, limit: cfg.oodLimit, device }));
    if (cfg.noiseImages > 0)
      for (const [k, kind] of (['uniform', 'gaussian'] as const).entries())
        sets.push(noiseImages(kind, { n: cfg.noiseImages, size: d.size, stats: d.stats, seed: cfg.seed + 11 + k, device }));
    const M = r.members.length,
      models = r.members.map((m) => m.model),
      single = r.members[r.single];

    // In distribution: the MNIST test set.
    const inAll = memberProbs(models, d.test.x, { batch: cfg.evalBatch });
    const K = inAll.classes;
    const inSingle = outputs(memberRows(inAll.probs, r.single, d.test.n, K), K);
    const inEns = outputs(ensembleRows(inAll.probs, M, d.test.n, K), K);
    const inMi = mutualInformation(inAll.probs, [M, d.test.n, K]);
    const mnistSingle = scoresOf(inSingle.probs, d.test.labels),
      mnistEns = scoresOf(inEns.probs, d.test.labels);
    log(`MNIST test: single ${pct(mnistSingle.accuracy)}%, ensemble ${pct(mnistEns.accuracy)}%`);

    const grid = (
      name: string,
      title: string,
      x: OodSet['x'],
      labels: ArrayLike<number> | null,
      classNames: string[] | undefined,
      sp: Float32Array,
      ep: Float32Array,
      inDist: boolean,
    ) => {
      const idx = Array.from({ length: Math.min(cfg.shown, x.shape[0]) }, (_, t) => (inDist ? r.shown[t] : t));
      const pixels = displayPixels(x, idx, d.stats);
      folder.figure(
        name,
        title,
        imageGrid(
          idx.map((i, t) => ({
            pixels: pixels[t],
            caption: [
              labels ? `y ${classNames ? classNames[labels[i]] : labels[i]}` : 'y -',
              caption('S', sp, i, K),
              caption('E', ep, i, K),
            ],
            flagged: inDist && (predictionOf(sp, i, K).pred !== labels![i] || predictionOf(ep, i, K).pred !== labels![i]),
          })),
          { h: d.size, w: d.size, columns: 10, scale: 2, title },
        ),
        `y: true label; S: single model (member seed ${single.seed}) prediction and probability; E: ${M}-member ensemble${inDist ? '. Red: S or E wrong' : ''}`,
      );
    };
    grid(
      'grid_mnist',
      `MNIST test (in distribution), ${Math.min(cfg.shown, d.test.n)} images`,
      d.test.x,
      d.test.labels,
      undefined,
      inSingle.probs,
      inEns.probs,
      true,
    );

    const results: OodDetection[] = [];
    const perSet: { set: OodSet; single: Outputs; ens: Outputs; mi: Float64Array }[] = [];
    for (const s of sets) {
      const all = memberProbs(models, s.x, { batch: cfg.evalBatch });
      const n = s.x.shape[0];
      const so = outputs(memberRows(all.probs, r.single, n, K), K),
        eo = outputs(ensembleRows(all.probs, M, n, K), K);
      const mi = mutualInformation(all.probs, [M, n, K]);
      perSet.push({ set: s, single: so, ens: eo, mi });
      const det = (inn: Outputs, ood: Outputs) => ({
        mean_confidence: meanOf(ood.confidence),
        mean_entropy: meanOf(ood.entropy),
        auroc_maxprob: auroc(inn.confidence, ood.confidence),
        auroc_entropy: auroc(neg(inn.entropy), neg(ood.entropy)),
        fpr95_maxprob: fprAt95Tpr(inn.confidence, ood.confidence),
        fpr95_entropy: fprAt95Tpr(neg(inn.entropy), neg(ood.entropy)),
      });
      const res: OodDetection = {
        set: s.name,
        images: n,
        single: det(inSingle, so),
        ensemble: { ...det(inEns, eo), auroc_mi: auroc(neg(inMi), neg(mi)), fpr95_mi: fprAt95Tpr(neg(inMi), neg(mi)), mean_mi: meanOf(mi) },
      };
      results.push(res);
      log(
        `${s.name}: entropy AUROC single ${res.single.auroc_entropy.toFixed(4)}, ensemble ${res.ensemble.auroc_entropy.toFixed(4)}; max-prob AUROC single ${res.single.auroc_maxprob.toFixed(4)}, ensemble ${res.ensemble.auroc_maxprob.toFixed(4)}; MI AUROC ${res.ensemble.auroc_mi.toFixed(4)}`,
      );
      grid(
        `grid_${s.name}`,
        `${s.name} (out of distribution), ${Math.min(cfg.shown, n)} images`,
        s.x,
        s.labels,
        s.classNames,
        so.probs,
        eo.probs,
        false,
      );
    }

    // Per-example scores (what every AUROC and histogram here is computed from).
    const scoreRows = (set: string, so: Outputs, eo: Outputs, mi: Float64Array) =>
      Array.from(so.confidence, (c, i) => [set, i, c, so.entropy[i], eo.confidence[i], eo.entropy[i], mi[i]]);
    io.writeCsv(
      join(folder.dir, 'scores.csv'),
      ['set', 'index', 'single_maxprob', 'single_entropy', 'ensemble_maxprob', 'ensemble_entropy', 'ensemble_mi'],
      [...scoreRows('mnist', inSingle, inEns, inMi), ...perSet.flatMap((p) => scoreRows(p.set.name, p.single, p.ens, p.mi))],
    );

    // Histograms: MNIST against every OOD set, as fractions (the sets differ in size).
    const hist = (
      name: string,
      title: string,
      pick: (o: { single: Outputs; ens: Outputs; mi: Float64Array }) => Float64Array,
      inValues: Float64Array,
      xLabel: string,
      range: [number, number],
      note: string,
    ) =>
      folder.figure(
        name,
        title,
        histogram([{ name: 'MNIST test', values: inValues }, ...perSet.map((p) => ({ name: p.set.name, values: pick(p) }))], {
          title,
          xLabel,
          yLabel: 'fraction of images',
          bins: cfg.histogramBins,
          range,
          density: true,
        }),
        note,
      );
    const hMax = Math.log(K);
    // Confidence then entropy, each for the single model then the ensemble.
    const views = [
      {
        id: 'single',
        label: 'single model',
        of: (o: { single: Outputs }) => o.single,
        test: inSingle,
        note: `single model: member seed ${single.seed}`,
      },
      { id: 'ensemble', label: `ensemble of ${M}`, of: (o: { ens: Outputs }) => o.ens, test: inEns, note: "mean of the members' softmax" },
    ];
    const scores = [
      {
        key: 'confidence',
        title: 'Confidence (max probability)',
        xLabel: 'max probability',
        range: [0, 1],
        note: (m: { note: string }) => m.note,
      },
      { key: 'entropy', title: 'Predictive entropy', xLabel: 'entropy (nats)', range: [0, hMax], note: () => `range [0, ln ${K}]` },
    ] as const;
    for (const k of scores)
      for (const m of views)
        hist(
          `${k.key}_${m.id}`,
          `${k.title}, ${m.label}`,
          (p) => m.of(p)[k.key],
          m.test[k.key],
          k.xLabel,
          [k.range[0], k.range[1]],
          k.note(m),
        );
    hist(
      'mutual_information',
      `Mutual information (member disagreement), ensemble of ${M}`,
      (p) => p.mi,
      inMi,
      'mutual information (nats)',
      [0, hMax],
      'H[mean p] - mean H[p]',
    );
    folder.figure(
      'auroc_entropy',
      'AUROC of entropy as OOD score',
      barChart(
        results.flatMap((x) => [
          { label: `${x.set} S`, value: x.single.auroc_entropy },
          { label: `${x.set} E`, value: x.ensemble.auroc_entropy },
        ]),
        {
          title: 'AUROC, MNIST vs OOD, score = -entropy (S single, E ensemble)',
          yLabel: 'AUROC',
          yDomain: [0, 1],
          format: (v) => v.toFixed(3),
        },
      ),
      '0.5 = chance, 1 = every MNIST image less uncertain than every OOD image',
    );
    const f = (v: number) => +v.toFixed(4);
    folder.table('detection', {
      title: `OOD detection against the MNIST test set (${d.test.n} images): AUROC (higher better) and FPR at 95% TPR (lower better)`,
      columns: [
        'OOD set',
        'images',
        'model',
        'mean conf',
        'AUROC max-prob',
        'AUROC entropy',
        'AUROC MI',
        'FPR95 max-prob',
        'FPR95 entropy',
        'FPR95 MI',
      ],
      rows: results.flatMap((x) => [
        [
          x.set,
          x.images,
          'single',
          f(x.single.mean_confidence),
          f(x.single.auroc_maxprob),
          f(x.single.auroc_entropy),
          '-',
          f(x.single.fpr95_maxprob),
          f(x.single.fpr95_entropy),
          '-',
        ],
        [
          x.set,
          x.images,
          `ensemble ${M}`,
          f(x.ensemble.mean_confidence),
          f(x.ensemble.auroc_maxprob),
          f(x.ensemble.auroc_entropy),
          f(x.ensemble.auroc_mi),
          f(x.ensemble.fpr95_maxprob),
          f(x.ensemble.fpr95_entropy),
          f(x.ensemble.fpr95_mi),
        ],
      ]),
    });

    const headline: Record<string, number | string> = {
      members: M,
      single_member_seed: single.seed,
      mnist_test_images: d.test.n,
      mnist_single_accuracy: mnistSingle.accuracy,
      mnist_ensemble_accuracy: mnistEns.accuracy,
      mnist_single_mean_confidence: mnistSingle.mean_confidence,
      mnist_ensemble_mean_confidence: mnistEns.mean_confidence,
    };
    for (const x of results) {
      headline[`${x.set}_single_mean_confidence`] = x.single.mean_confidence;
      headline[`${x.set}_ensemble_mean_confidence`] = x.ensemble.mean_confidence;
      headline[`${x.set}_single_auroc_maxprob`] = x.single.auroc_maxprob;
      headline[`${x.set}_ensemble_auroc_maxprob`] = x.ensemble.auroc_maxprob;
      headline[`${x.set}_single_auroc_entropy`] = x.single.auroc_entropy;
      headline[`${x.set}_ensemble_auroc_entropy`] = x.ensemble.auroc_entropy;
      headline[`${x.set}_ensemble_auroc_mi`] = x.ensemble.auroc_mi;
      headline[`${x.set}_ensemble_entropy_auroc_beats_single`] = x.ensemble.auroc_entropy > x.single.auroc_entropy ? 'yes' : 'no';
    }
    return folder.finish(headline, {
      ood_sets: sets.map((s) => ({ name: s.name, description: s.description })),
      detection: results,
      mnist: { single: mnistSingle, ensemble: mnistEns, mean_mi: meanOf(inMi) },
    });
  } finally {
    for (const s of sets) s.x.dispose();
    r.dispose();
  }
}
