// The seed-000 ensemble studies as a user runs them (`nnlab run <id> --quick`), sharing one
// members cache: the first study trains the quick members, the others must find them cached.
// Each study's numbers are checked against an independent computation (lib Ensemble, direct
// pair counting for AUROC, the members' own recorded test accuracy).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Ensemble } from '../../lib/ensemble/index.js';
import { data } from '../../lib/index.js';
import { loadResnetData, ResnetData, toModelInput } from '../../lib/data/resnet-data.js';
import { loadResnet } from '../../lib/train/resnet-train.js';
import { lastJson, nnlab } from '../support/cli.js';
import { hasFashion, NO_FASHION, skipUnless } from '../support/skips.js';
import { checkRunFolder, readCsv, Summary, tmp } from './helpers.js';

const cache = tmp('seed000-cache');
const env = { NNLAB_CACHE_DIR: cache };
const run = (study: string, extra: string[] = []) => {
  const out = tmp(study);
  const r = nnlab(['run', study, '--quick', '--out', out, '--json', ...extra], env);
  expect(r.code, r.stderr).toBe(0);
  return { out, s: lastJson<Summary>(r.stdout), stderr: r.stderr, config: JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) };
};
type Member = { seed: number; weights: string; from_cache: boolean; val: { loss: number }; test: { acc: number } };
interface Scores {
  accuracy: number;
  nll: number;
  brier: number;
  ece: number;
  mean_confidence: number;
}

// The quick preset's data, loaded here the way the studies load it.
let d: ResnetData;
beforeAll(() => {
  d = loadResnetData({ dataset: 'mnist', trainLimit: 200, testLimit: 200, splitSeed: 0, device: 'cpu' });
});
afterAll(() => d?.dispose());

/** The ensemble of the cached members through lib/ensemble, on test rows `idx` (after `transform`). */
function ensembleProba(members: Member[], idx: Int32Array, transform = (x: ReturnType<typeof data.subset>['x']) => x) {
  const models = members.map((m) => loadResnet(m.weights).model);
  const sub = data.subset({ x: d.test.x, y: d.test.y }, idx);
  const x = toModelInput(transform(sub.x));
  try {
    return new Ensemble(models).predictProba(x, { batchSize: 64 });
  } finally {
    for (const t of [x, sub.x, sub.y]) if (!t.disposed) t.dispose();
    for (const m of models) m.dispose();
  }
}

const argmax = (p: ArrayLike<number>, i: number, k = 10) => {
  let b = 0;
  for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + b]) b = c;
  return b;
};

let ensembleNoise: { s: Summary; config: { members: Member[] } };

describe.sequential('seed-000 ensemble studies (quick presets, one members cache)', () => {
  it(
    'ensemble-noise: trains the members into the cache; its ensemble is lib Ensemble and its numbers are whole-test-set',
    { timeout: 240_000 },
    () => {
      const { out, s, config } = run('ensemble-noise');
      ensembleNoise = { s, config };
      checkRunFolder(out, [
        'grid_sigma_0',
        'grid_sigma_0p3',
        'grid_sigma_0p5',
        'accuracy_vs_sigma',
        'nll_vs_sigma',
        'brier_vs_sigma',
        'ece_vs_sigma',
        'shown_accuracy_vs_sigma',
        'results',
        'members',
      ]);
      const members = config.members as Member[];
      expect(members.map((m) => m.seed)).toEqual([0, 1, 2]);
      expect(members.every((m) => !m.from_cache)).toBe(true);
      // metrics.csv: the members' curves copied from the cache, 2 epochs each
      expect(readCsv(join(out, 'metrics.csv')).map((r) => r.member_seed)).toEqual(['0', '0', '1', '1', '2', '2']);
      // the single model is the member with the lowest validation loss
      const best = members.reduce((b, m) => (m.val.loss < b.val.loss ? m : b));
      expect(s.headline.single_member_seed).toBe(best.seed);
      const levels = s.levels as { sigma: number; single: Scores; ensemble: Scores; members: Scores[] }[];
      expect(levels.map((l) => l.sigma)).toEqual([0, 0.3, 0.5]);
      // sigma 0 reproduces each member's own test accuracy (recorded by trainResnet's evaluate)
      members.forEach((m, j) => expect(levels[0].members[j].accuracy, `member ${m.seed}`).toBeCloseTo(m.test.acc, 6));
      expect(levels[0].single.accuracy).toBeCloseTo(best.test.acc, 6);
      // the study's ensemble = lib Ensemble (mean of the members' softmax) on the same 200 images
      const p = ensembleProba(
        members,
        Int32Array.from({ length: d.test.n }, (_, i) => i),
      );
      const acc = d.test.labels.reduce((a, y, i) => a + (argmax(p, i) === y ? 1 : 0), 0) / d.test.n;
      expect(levels[0].ensemble.accuracy).toBeCloseTo(acc, 6);
      const nll = -d.test.labels.reduce((a, y, i) => a + Math.log(p[i * 10 + y]), 0) / d.test.n;
      expect(levels[0].ensemble.nll).toBeCloseTo(nll, 4);
      // heavy noise hurts the single model's NLL; the ensemble's NLL is at most the members' mean (Jensen)
      expect(levels[2].single.nll).toBeGreaterThan(levels[0].single.nll);
      for (const l of levels) expect(l.ensemble.nll).toBeLessThanOrEqual(l.members.reduce((a, m) => a + m.nll, 0) / 3 + 1e-9);
      expect(s.headline['ensemble_beats_single_sigma_0.5']).toMatch(/^(yes|no)$/);
      const sweep = readCsv(join(out, 'sweep.csv'));
      expect(sweep.length).toBe(3 * (2 + 3));
    },
  );

  it(
    'noise: the cached members are reused; the clean level is the same single model; pixel noise 0.5 destroys it',
    { timeout: 120_000 },
    () => {
      const { out, s, config, stderr } = run('noise');
      expect((config.members as Member[]).every((m) => m.from_cache)).toBe(true);
      expect(stderr).not.toMatch(/training \d+ epochs/);
      checkRunFolder(out, [
        'grid_sigma_0',
        'grid_sigma_0p1',
        'grid_sigma_0p3',
        'grid_sigma_0p5',
        'accuracy_vs_sigma',
        'nll_vs_sigma',
        'results',
      ]);
      expect(s.headline.single_member_seed).toBe(ensembleNoise.s.headline.single_member_seed);
      expect(s.headline.accuracy_sigma_0).toBeCloseTo(ensembleNoise.s.headline.single_accuracy_sigma_0 as number, 6);
      expect(s.headline.nll_sigma_0).toBeCloseTo(ensembleNoise.s.headline.single_nll_sigma_0 as number, 6);
      // sigma 0.5 in pixel units is 1.6 in normalised units: near chance
      expect(s.headline['accuracy_sigma_0.5']).toBeLessThan((s.headline.accuracy_sigma_0 as number) - 0.15);
      const sweep = readCsv(join(out, 'sweep.csv'));
      expect(sweep.map((r) => +r.sigma)).toEqual([0, 0.1, 0.3, 0.5]);
      for (const r of sweep) expect(+r.mean_confidence).toBeGreaterThanOrEqual(0.1);
    },
  );

  it(
    'ood: AUROC and FPR@95 agree with a direct computation from the per-example scores; --ood-dir takes an IDX folder',
    { timeout: 240_000 },
    (ctx) => {
      skipUnless(ctx, hasFashion, `FashionMNIST is the out-of-distribution set: ${NO_FASHION}`);
      const { out, s } = run('ood');
      checkRunFolder(out, [
        'grid_mnist',
        'grid_fashion',
        'grid_uniform-noise',
        'grid_gaussian-noise',
        'confidence_single',
        'confidence_ensemble',
        'entropy_single',
        'entropy_ensemble',
        'mutual_information',
        'auroc_entropy',
        'detection',
      ]);
      const rows = readCsv(join(out, 'scores.csv'));
      const col = (set: string, c: string) => rows.filter((r) => r.set === set).map((r) => +r[c]);
      expect(col('mnist', 'single_maxprob').length).toBe(200);
      expect(col('fashion', 'single_maxprob').length).toBe(200);
      expect(col('uniform-noise', 'single_maxprob').length).toBe(100);
      // AUROC by counting every (in, ood) pair: P(in scores higher) + P(tie) / 2
      const pairs = (a: number[], b: number[]) => {
        let w = 0;
        for (const x of a) for (const y of b) w += x > y ? 1 : x === y ? 0.5 : 0;
        return w / (a.length * b.length);
      };
      for (const set of ['fashion', 'uniform-noise', 'gaussian-noise']) {
        const neg = (v: number[]) => v.map((x) => -x);
        const checks: [string, number][] = [
          [`${set}_single_auroc_maxprob`, pairs(col('mnist', 'single_maxprob'), col(set, 'single_maxprob'))],
          [`${set}_single_auroc_entropy`, pairs(neg(col('mnist', 'single_entropy')), neg(col(set, 'single_entropy')))],
          [`${set}_ensemble_auroc_entropy`, pairs(neg(col('mnist', 'ensemble_entropy')), neg(col(set, 'ensemble_entropy')))],
          [`${set}_ensemble_auroc_mi`, pairs(neg(col('mnist', 'ensemble_mi')), neg(col(set, 'ensemble_mi')))],
        ];
        for (const [k, v] of checks) {
          expect(s.headline[k], k).toBeGreaterThanOrEqual(0);
          expect(s.headline[k], k).toBeLessThanOrEqual(1);
          expect(s.headline[k] as number, k).toBeCloseTo(v, 2);
        }
        // FPR at 95% TPR: the fraction of OOD images at or above the threshold that keeps 95% of MNIST
        const det = (s.detection as { set: string; single: { fpr95_maxprob: number } }[]).find((x) => x.set === set)!;
        const inS = col('mnist', 'single_maxprob').sort((a, b) => b - a),
          ood = col(set, 'single_maxprob');
        const t = inS[Math.ceil(0.95 * inS.length) - 1];
        expect(det.single.fpr95_maxprob).toBeCloseTo(ood.filter((v) => v >= t).length / ood.length, 2);
        expect(s.headline[`${set}_ensemble_entropy_auroc_beats_single`]).toBe(
          (s.headline[`${set}_ensemble_auroc_entropy`] as number) > (s.headline[`${set}_single_auroc_entropy`] as number) ? 'yes' : 'no',
        );
      }
      // the in-distribution pass is the clean ensemble of ensemble-noise
      expect(s.headline.mnist_ensemble_accuracy).toBeCloseTo(ensembleNoise.s.headline.ensemble_accuracy_sigma_0 as number, 6);
      // the same FashionMNIST files through --ood-dir give the same detection numbers
      const viaDir = run('ood', ['--ood-dir', '/usr/share/datasets/fashion-mnist']);
      expect(viaDir.s.headline['fashion-mnist_ensemble_auroc_entropy']).toBeCloseTo(
        s.headline.fashion_ensemble_auroc_entropy as number,
        10,
      );
      expect(viaDir.s.headline['fashion-mnist_single_auroc_maxprob']).toBeCloseTo(s.headline.fashion_single_auroc_maxprob as number, 10);
    },
  );

  it("rotation: 0 degrees is the unrotated prediction; the ensemble curve is the mean of the members'", { timeout: 120_000 }, () => {
    const { out, s, config } = run('rotation');
    checkRunFolder(out, [
      'example_rotations',
      'shown_images',
      'true_prob_member_2',
      'true_prob_ensemble',
      'true_prob_mean',
      'test_accuracy_vs_angle',
      'test_nll_vs_angle',
      'whole_test_set',
    ]);
    const members = config.members as Member[];
    const shown = Int32Array.from(config.shown_test_indices as number[]);
    expect(shown.length).toBe(20);
    const rows = readCsv(join(out, 'true_class_prob.csv'));
    const ens = rows.filter((r) => r.model === 'ensemble');
    expect(ens.map((r) => +r.test_index)).toEqual(Array.from(shown));
    // at 0 degrees: lib Ensemble on the unrotated images
    const p0 = ensembleProba(members, shown);
    ens.forEach((r, i) => expect(+r.deg_0).toBeCloseTo(p0[i * 10 + +r.label], 4));
    // at 90 degrees: lib Ensemble on images rotated by the same native op
    const fill = -d.stats.mean / d.stats.std;
    const p90 = ensembleProba(members, shown, (x) => data.rotate(x, 90, fill));
    ens.forEach((r, i) => expect(+r.deg_90).toBeCloseTo(p90[i * 10 + +r.label], 4));
    // the ensemble curve is the mean of the members' curves, at every angle
    for (const r of ens)
      for (const a of [0, 50, 130, 180]) {
        const m = rows.filter((x) => x.model !== 'ensemble' && x.test_index === r.test_index).map((x) => +x[`deg_${a}`]);
        expect(m.length).toBe(3);
        expect(+r[`deg_${a}`]).toBeCloseTo(m.reduce((u, v) => u + v, 0) / 3, 5);
      }
    // whole test set at 0 degrees = the clean ensemble of ensemble-noise; 90 degrees hurts
    expect(s.headline.ensemble_accuracy_0deg).toBeCloseTo(ensembleNoise.s.headline.ensemble_accuracy_sigma_0 as number, 6);
    expect(s.headline.ensemble_accuracy_90deg).toBeLessThan(s.headline.ensemble_accuracy_0deg as number);
  });

  it('flags: --epochs / --members / --ood-dir only where they apply; bad values are errors', { timeout: 60_000 }, () => {
    for (const args of [
      ['run', 'cnn', '--epochs', '3'],
      ['run', 'noise', '--ood-dir', '/tmp'],
      ['run', 'fgsm', '--members', '2'],
      ['run', 'noise', '--epochs', '0'],
    ]) {
      const r = nnlab(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage:/);
    }
    const tooMany = nnlab(['run', 'noise', '--quick', '--members', '9', '--out', tmp('noise-bad')], env);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/ArgumentError: noise: members must be an integer in \[1, 3\]/);
    const missing = nnlab(['run', 'ood', '--quick', '--ood-dir', '/nonexistent/kmnist', '--out', tmp('ood-bad')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/IOError: ood: --ood-dir folder not found: \/nonexistent\/kmnist/);
  });
});
