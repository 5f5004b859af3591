// What the dropout study's loss curves show, computed from the numbers of the run: overfitting
// measures per setup, sentences describing each curve, and the seed report's claims beside ours.
import type { EpochMetrics } from '../../train/metrics-tracker.js';
import type { TableData } from '../../viz/table.js';

export interface Overfitting {
  finalTrain: number;
  finalTest: number;
  finalTestAcc: number;
  /** Test loss minus train loss at the last epoch. */
  gap: number;
  bestTest: number;
  bestEpoch: number;
  /** How far the test loss climbed from its minimum to the last epoch (0 when the last epoch is the best). */
  rise: number;
}

export function overfitting(history: EpochMetrics[]): Overfitting {
  const last = history[history.length - 1];
  const test = history.map((h) => h.val_loss ?? NaN);
  const best = test.reduce((b, v, i) => (v < test[b] ? i : b), 0);
  return {
    finalTrain: last.train_loss,
    finalTest: test[test.length - 1],
    finalTestAcc: last.val_acc ?? NaN,
    gap: test[test.length - 1] - last.train_loss,
    bestTest: test[best],
    bestEpoch: best + 1,
    rise: test[test.length - 1] - test[best],
  };
}

interface Described extends Overfitting {
  name: string;
  history: EpochMetrics[];
}

/** A rise of the test loss counts as overfitting when it exceeds this share of its minimum. */
const RISE_SHARE = 0.05;

export const overfits = (r: Overfitting) => r.rise > RISE_SHARE * r.bestTest;

const f4 = (v: number) => v.toFixed(4);

function testCurve(r: Described): string {
  const n = r.history.length;
  if (overfits(r))
    return `test loss is lowest at epoch ${r.bestEpoch} (${f4(r.bestTest)}) then climbs to ${f4(r.finalTest)} at epoch ${n} (+${((100 * r.rise) / r.bestTest).toFixed(0)}%): overfitting`;
  if (r.bestEpoch === n) return `test loss decreases to its lowest value at the last epoch (${f4(r.finalTest)})`;
  return `test loss is lowest at epoch ${r.bestEpoch} (${f4(r.bestTest)}) and stays within ${(100 * RISE_SHARE).toFixed(0)}% of it (${f4(r.finalTest)} at epoch ${n}): a plateau`;
}

/** One sentence per setup: how its train and test curves move and how far apart they end. */
export function describeSetups(results: Described[]): string[][] {
  return results.map((r) => {
    const h = r.history;
    return [r.name, `train loss ${f4(h[0].train_loss)} -> ${f4(r.finalTrain)}; ${testCurve(r)}; final gap test - train ${f4(r.gap)}`];
  });
}

const byName = (rs: Described[], name: string) => {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`dropout findings: setup '${name}' missing`);
  return r;
};

/** The seed report's statements (section 1) and what this run measured for each. */
export function reportVsNnlab(rs: Described[], preset: string): TableData {
  const [normal, inverted, noDrop, invNoDrop] = ['normal', 'inverted', 'no-dropout', 'inverted-no-dropout'].map((n) => byName(rs, n));
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const plateauFrom = (r: Described, e: number) => {
    const h = r.history;
    if (h.length <= e) return `only ${h.length} epochs`;
    return `train ${f4(h[e - 1].train_loss)} -> ${f4(r.finalTrain)}, test ${f4(h[e - 1].val_loss ?? NaN)} -> ${f4(r.finalTest)} from epoch ${e} to ${h.length}`;
  };
  const drop12 = (r: Described) =>
    r.history.length > 1 ? `train loss epoch 1 ${f4(r.history[0].train_loss)} -> epoch 2 ${f4(r.history[1].train_loss)}` : 'one epoch only';
  return {
    title: `Seed report (section 1) vs nnlab (${preset} preset)`,
    columns: ['setup / claim', 'report says', 'nnlab gets'],
    rows: [
      ['normal', 'both curves decrease, plateau from epoch 5', plateauFrom(normal, 5)],
      ['inverted', 'same shape, steep drop between epochs 1 and 2', drop12(inverted)],
      ['no-dropout', 'test loss rises from epoch 3 (overfitting)', `${testCurve(noDrop)}`],
      ['inverted-no-dropout', 'test loss rises from epoch 5 (overfitting)', `${testCurve(invNoDrop)}`],
      [
        'train loss',
        'lower without dropout',
        `no-dropout ${f4(noDrop.finalTrain)} vs normal ${f4(normal.finalTrain)}; inverted: ${f4(invNoDrop.finalTrain)} vs ${f4(inverted.finalTrain)}: ${yes(noDrop.finalTrain < normal.finalTrain && invNoDrop.finalTrain < inverted.finalTrain)}`,
      ],
      [
        'test loss',
        'higher for the inverted setups',
        `inverted ${f4(inverted.finalTest)} vs normal ${f4(normal.finalTest)}; without dropout ${f4(invNoDrop.finalTest)} vs ${f4(noDrop.finalTest)}: ${yes(inverted.finalTest > normal.finalTest && invNoDrop.finalTest > noDrop.finalTest)}`,
      ],
      [
        'dropout',
        'keeps the test loss from rising',
        `rise after the best epoch: with dropout ${f4(normal.rise)} / ${f4(inverted.rise)}, without ${f4(noDrop.rise)} / ${f4(invNoDrop.rise)} (normal / inverted)`,
      ],
    ],
  };
}
