// Figures several studies draw: training curves and annotated grids of test images.
import type { EpochMetrics } from '../train/metrics-tracker.js';
import { imageGrid } from '../viz/image-grid.js';
import { linePlot, Series } from '../viz/line-plot.js';
import type { MnistSplit } from '../data/mnist.js';

export interface CurveOptions {
  /** Draw the training series too (default true). */
  withTrain?: boolean;
  /**
   * A series' legend name. Default: "train" / "test" (the held-out split is the test split in
   * most studies), after the run's name when there are several runs.
   */
  seriesName?: (run: string, split: 'train' | 'heldOut') => string;
  /** Default: "cross-entropy loss" or "accuracy". */
  yLabel?: string;
}

/** Loss or accuracy per epoch of one or several trained models (train and held-out split). */
export function curves(
  runs: { name: string; history: EpochMetrics[] }[],
  metric: 'loss' | 'acc',
  title: string,
  o: CurveOptions = {},
): string {
  const name = o.seriesName ?? ((run, split) => `${runs.length > 1 ? `${run} ` : ''}${split === 'train' ? 'train' : 'test'}`);
  const series: Series[] = [];
  for (const r of runs) {
    const x = r.history.map((h) => h.epoch);
    if (o.withTrain ?? true)
      series.push({ name: name(r.name, 'train'), x, y: r.history.map((h) => (metric === 'loss' ? h.train_loss : h.train_acc)) });
    series.push({ name: name(r.name, 'heldOut'), x, y: r.history.map((h) => (metric === 'loss' ? h.val_loss : h.val_acc) ?? NaN) });
  }
  return linePlot(series, {
    title,
    xLabel: 'epoch',
    yLabel: o.yLabel ?? (metric === 'loss' ? 'cross-entropy loss' : 'accuracy'),
    legendAt: metric === 'loss' ? 'top' : 'bottom',
    integerX: true,
  });
}

export interface Annotated {
  index: number;
  caption: string[];
  flagged: boolean;
}

/** A grid of test images (by index into the split) with their caption lines. */
export function testGrid(split: MnistSplit, items: Annotated[], title: string, columns = 8): string {
  return imageGrid(
    items.map((it) => ({
      pixels: split.pixels.subarray(it.index * 784, (it.index + 1) * 784),
      caption: [`#${it.index}`, ...it.caption],
      flagged: it.flagged,
    })),
    { h: 28, w: 28, bytes: true, scale: 3, columns, title },
  );
}
