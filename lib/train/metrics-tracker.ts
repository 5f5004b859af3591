// Per-epoch metrics: kept in memory, written to metrics.csv after every epoch, and restored on
// resume so the file of a resumed run equals the uninterrupted one's.
import { join } from 'node:path';

import { writeCsv } from '../io/csv.js';

export interface EpochMetrics {
  epoch: number;
  train_loss: number;
  train_acc: number;
  val_loss: number | null;
  val_acc: number | null;
  seconds: number;
}

export const METRIC_COLUMNS = ['epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'seconds'] as const;

export class MetricsTracker {
  readonly rows: EpochMetrics[] = [];
  bestValLoss = Infinity;
  bestEpoch = -1;

  constructor(readonly outDir: string | null) {}

  /** Records an epoch; returns true when its validation loss is the best so far. */
  add(m: EpochMetrics): boolean {
    this.rows.push(m);
    this.write();
    const score = m.val_loss ?? m.train_loss;
    if (score < this.bestValLoss) {
      this.bestValLoss = score;
      this.bestEpoch = m.epoch;
      return true;
    }
    return false;
  }

  write(): void {
    if (!this.outDir) return;
    writeCsv(join(this.outDir, 'metrics.csv'), [...METRIC_COLUMNS], this.rows.map((r) => METRIC_COLUMNS.map((c) => r[c])));
  }

  toJSON() {
    return { rows: this.rows, bestValLoss: this.bestValLoss, bestEpoch: this.bestEpoch };
  }

  restore(s: { rows: EpochMetrics[]; bestValLoss: number | null; bestEpoch: number }): void {
    this.rows.splice(0, this.rows.length, ...s.rows);
    this.bestValLoss = s.bestValLoss ?? Infinity;
    this.bestEpoch = s.bestEpoch;
    this.write();
  }
}
