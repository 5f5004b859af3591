// Per-epoch metrics: kept in memory, written to metrics.csv after every epoch, and restored on
// resume so the file of a resumed run equals the uninterrupted one's. An epoch may write several
// rows (one per ensemble member); the best epoch is the one with the lowest score.
import { join } from 'node:path';

import { writeCsv } from '../io/csv.js';

export type EpochMetrics = {
  epoch: number;
  train_loss: number;
  train_acc: number;
  val_loss: number | null;
  val_acc: number | null;
  seconds: number;
};

/** One row of metrics.csv: column -> value (null for an empty cell). */
export type MetricRow = { [column: string]: number | null };

export const METRIC_COLUMNS = ['epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc', 'seconds'] as const;

export class MetricsTracker<R extends MetricRow = EpochMetrics> {
  readonly rows: R[] = [];
  bestValLoss = Infinity;
  bestEpoch = -1;

  constructor(
    readonly outDir: string | null,
    readonly columns: readonly string[] = METRIC_COLUMNS,
  ) {}

  /**
   * Records an epoch's rows; returns true when its score is the best so far. A single-model
   * epoch (EpochMetrics) scores by its validation loss, or its training loss without validation.
   */
  add(rows: R | R[], score?: number, epoch?: number): boolean {
    const list = Array.isArray(rows) ? rows : [rows];
    this.rows.push(...list);
    this.write();
    const single = Array.isArray(rows) ? null : (rows as MetricRow);
    const s = score ?? (single ? (single.val_loss ?? single.train_loss ?? NaN) : NaN);
    if (s < this.bestValLoss) {
      this.bestValLoss = s;
      this.bestEpoch = epoch ?? single?.epoch ?? this.bestEpoch;
      return true;
    }
    return false;
  }

  write(): void {
    if (!this.outDir) return;
    writeCsv(
      join(this.outDir, 'metrics.csv'),
      [...this.columns],
      this.rows.map((r) => this.columns.map((c) => r[c] ?? null)),
    );
  }

  toJSON() {
    return { rows: this.rows, bestValLoss: this.bestValLoss, bestEpoch: this.bestEpoch };
  }

  restore(s: { rows: R[]; bestValLoss: number | null; bestEpoch: number }): void {
    this.rows.splice(0, this.rows.length, ...s.rows);
    this.bestValLoss = s.bestValLoss ?? Infinity;
    this.bestEpoch = s.bestEpoch;
    this.write();
  }
}
