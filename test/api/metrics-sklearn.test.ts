// lib/metrics against scikit-learn and numpy on seeded random inputs. The reference values are
// committed (test/fixtures/metrics_sklearn.json, made by scripts/fixtures/metrics_reference.py
// with Debian's python3-sklearn), so the comparison runs everywhere; where python3-sklearn is
// installed (always in CI), a second test recomputes them and checks the fixture is current.
// NNLAB_WRITE_FIXTURES=1 rewrites the fixture.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { metrics, packageRoot } from '../../lib/index.js';
import { expectClose, rng } from '../support/native.js';
import { skipReason, pythonHas } from '../support/skips.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(packageRoot(), 'scripts/fixtures/metrics_reference.py');
const FIXTURE = join(packageRoot(), 'test/fixtures/metrics_sklearn.json');

interface Case {
  n: number;
  c: number;
  probs: Float32Array;
  labels: Int32Array;
  m?: number;
  members?: Float32Array;
  inScores?: number[];
  oodScores?: number[];
}

interface Reference {
  accuracy: number;
  nll: number;
  brier: number;
  ece: number;
  entropy: number[];
  mutual_information?: number[];
  auroc?: number;
  fpr95?: number;
}

/** Softmax rows of random logits with a given spread (large spread: confident rows). */
function randomProbs(rows: number, c: number, spread: number, r: () => number): Float32Array {
  const out = new Float32Array(rows * c);
  for (let i = 0; i < rows; i++) {
    const z = Array.from({ length: c }, () => spread * (2 * r() - 1));
    const mx = Math.max(...z);
    const e = z.map((v) => Math.exp(v - mx));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, k) => {
      out[i * c + k] = v / s;
    });
  }
  return out;
}

function makeCase(seed: number, n: number, c: number, m: number, ties: boolean): Case {
  const r = rng(seed);
  const members = randomProbs(m * n, c, 1 + 4 * r(), r);
  const probs = Float32Array.from(metrics.memberMean(members, [m, n, c]));
  const labels = Int32Array.from({ length: n }, () => Math.floor(r() * c));
  // OOD scores from two overlapping normal-ish distributions; with ties, rounded to one decimal.
  const score = (shift: number) => {
    const v = shift + (r() + r() + r() - 1.5);
    return ties ? Math.round(v * 10) / 10 : v;
  };
  const inScores = Array.from({ length: n }, () => score(0.6));
  const oodScores = Array.from({ length: Math.max(1, Math.floor(n * 0.7)) }, () => score(0));
  return { n, c, probs, labels, m, members, inScores, oodScores };
}

function referenceInput(cases: Case[]): string {
  return JSON.stringify(
    cases.map((k) => ({
      n: k.n,
      c: k.c,
      probs: Array.from(k.probs),
      labels: Array.from(k.labels),
      m: k.m,
      members: k.members ? Array.from(k.members) : undefined,
      in_scores: k.inScores,
      ood_scores: k.oodScores,
    })),
  );
}

/** scikit-learn's and numpy's values for the cases, computed now. */
function reference(cases: Case[]): Reference[] {
  const input = referenceInput(cases);
  const r = spawnSync(PYTHON, [SCRIPT], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`metrics_reference.py failed (python3-sklearn installed?):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Reference[];
}

const cases = [
  makeCase(1, 500, 10, 5, false),
  makeCase(2, 1000, 10, 3, true),
  makeCase(3, 64, 2, 2, true),
  makeCase(4, 300, 7, 10, false),
  makeCase(5, 20, 3, 4, true),
];
/** Identifies the inputs the fixture was computed from: a change to makeCase must refresh it. */
const inputHash = createHash('sha256').update(referenceInput(cases)).digest('hex');
const haveSklearn = () => pythonHas('sklearn');
if (process.env.NNLAB_WRITE_FIXTURES === '1')
  writeFileSync(FIXTURE, JSON.stringify({ inputs_sha256: inputHash, references: reference(cases) }, null, 1) + '\n');
const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { inputs_sha256: string; references: Reference[] };

describe.skipIf(
  skipReason(haveSklearn(), 'recomputing the metrics reference needs python3 with python3-sklearn (apt-get install python3-sklearn)'),
)('the committed scikit-learn fixture is current', () => {
  it('recomputed values equal the committed ones (to 1e-12: another numpy build may round differently)', () => {
    const now = reference(cases);
    expect(now.length).toBe(fixture.references.length);
    now.forEach((r, i) => {
      const was = fixture.references[i];
      expect(Object.keys(r).sort()).toEqual(Object.keys(was).sort());
      for (const key of Object.keys(r) as (keyof Reference)[])
        expectClose([r[key] as number | number[]].flat(), [was[key] as number | number[]].flat(), 1e-12, 1e-12, `case ${i} ${key}`);
    });
  });
});

describe('metrics agree with scikit-learn and numpy (committed reference values)', () => {
  const refs = fixture.references;

  it('the fixture was computed from these inputs', () => {
    expect(fixture.inputs_sha256, 'makeCase changed: rerun with NNLAB_WRITE_FIXTURES=1').toBe(inputHash);
  });

  it.each(cases.map((k, i) => [i, k] as const))('case %i', (i, k) => {
    const ref = refs[i];
    expect(metrics.accuracy(k.probs, k.labels)).toBeCloseTo(ref.accuracy, 12);
    // log_loss renormalises the float32 rows, which moves the value by ~1e-7.
    expect(metrics.nll(k.probs, k.labels)).toBeCloseTo(ref.nll, 6);
    expect(metrics.brierScore(k.probs, k.labels)).toBeCloseTo(ref.brier, 9);
    expect(metrics.expectedCalibrationError(k.probs, k.labels).ece).toBeCloseTo(ref.ece, 9);
    expectClose(metrics.predictiveEntropy(k.probs, k.c), ref.entropy, 1e-9, 1e-12, 'entropy');
    expectClose(
      metrics.mutualInformation(k.members!, [k.m!, k.n, k.c]),
      ref.mutual_information!.map((v) => Math.max(0, v)),
      1e-7,
      1e-12,
      'mutual information',
    );
    expect(metrics.auroc(k.inScores!, k.oodScores!)).toBeCloseTo(ref.auroc!, 12);
    expect(metrics.fprAt95Tpr(k.inScores!, k.oodScores!)).toBeCloseTo(ref.fpr95!, 12);
  });

  it('the tied cases really have ties', () => {
    const k = cases[1];
    expect(new Set([...k.inScores!, ...k.oodScores!]).size).toBeLessThan(k.inScores!.length / 5);
  });
});
