// One small figure of every kind the viz module draws (for the renderer and browser tests).
import { barChart, histogram, imageGrid, linePlot, tableSvg } from '../../lib/viz/index.js';

export const SAMPLE_FIGURES: Record<string, string> = {
  line: linePlot(
    [
      { name: 'train', x: [1, 2, 3], y: [0.5, 0.3, 0.2] },
      { name: 'test <&>', x: [1, 2, 3], y: [0.4, 0.35, 0.3] },
    ],
    { title: 'loss', xLabel: 'epoch', yLabel: 'loss', integerX: true },
  ),
  histogram: histogram(
    [
      { name: 'a', values: [0.1, 0.5, 0.5, 0.9, 1] },
      { name: 'b', values: [0.99, 1, 1] },
    ],
    { bins: 10, range: [0, 1], density: true, title: 'm(x)' },
  ),
  bar: barChart(
    [
      { label: 'full', value: 98.9 },
      { label: 'dense64', value: 98.7 },
    ],
    { yDomain: [95, 100], highlight: 0 },
  ),
  table: tableSvg({
    title: 'T',
    columns: ['model', 'acc'],
    rows: [
      ['cnn', 0.99],
      ['knn', 0.97],
    ],
  }),
  grid: imageGrid(
    [
      { pixels: new Uint8Array(784).map((_, i) => (i % 29) * 8), caption: ['y=1 pred=1', 'p=0.99'] },
      { pixels: new Uint8Array(784), caption: ['y=2 pred=3', 'p=0.51'], flagged: true },
    ],
    { h: 28, w: 28, bytes: true, title: 'grid' },
  ),
};
