// Figures several studies draw: training curves and annotated grids of test images.
import type { EpochMetrics } from '../train/metrics-tracker.js';
import { imageGrid } from '../viz/image-grid.js';
import { linePlot, Series } from '../viz/line-plot.js';
import type { MnistSplit } from '../data/mnist.js';

/** Loss or accuracy per epoch of one or several trained models (val = the test split here). */
export function curves(runs: { name: string; history: EpochMetrics[] }[], metric: 'loss' | 'acc', title: string, withTrain = true): string {
  const series: Series[] = [];
  for (const r of runs) {
    const x = r.history.map((h) => h.epoch);
    const prefix = runs.length > 1 ? `${r.name} ` : '';
    if (withTrain) series.push({ name: `${prefix}train`, x, y: r.history.map((h) => (metric === 'loss' ? h.train_loss : h.train_acc)) });
    series.push({ name: `${prefix}test`, x, y: r.history.map((h) => (metric === 'loss' ? h.val_loss : h.val_acc) ?? NaN) });
  }
  return linePlot(series, {
    title,
    xLabel: 'epoch',
    yLabel: metric === 'loss' ? 'cross-entropy loss' : 'accuracy',
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
