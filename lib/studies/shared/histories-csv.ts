// metrics.csv of a study that trains several models: one row per (model, epoch).
import { join } from 'node:path';

import { writeCsv } from '../../io/csv.js';
import type { EpochMetrics } from '../../train/metrics-tracker.js';

export function writeHistoriesCsv(dir: string, key: string, runs: { name: string; history: EpochMetrics[] }[]): void {
  writeCsv(
    join(dir, 'metrics.csv'),
    [key, 'epoch', 'train_loss', 'train_acc', 'test_loss', 'test_acc', 'seconds'],
    runs.flatMap((r) => r.history.map((h) => [r.name, h.epoch, h.train_loss, h.train_acc, h.val_loss, h.val_acc, h.seconds])),
  );
}
