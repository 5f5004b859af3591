// Histograms: values binned over a fixed range, one or several series drawn as translucent
// overlaid bars so distributions can be compared on the same axes.
import { ArgumentError } from '../core/errors.js';
import { frame, legend } from './axes.js';
import { seriesColor } from './palette.js';
import { rect, svgDocument } from './svg.js';

export interface HistogramOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  bins?: number;
  range?: [number, number];
  width?: number;
  height?: number;
  /** Plot the fraction of each series per bin instead of counts (series of different sizes). */
  density?: boolean;
  legendSide?: 'left' | 'right';
}

/** Counts per bin over [lo, hi]; the last bin is closed so the value hi (m(x) = 1) is counted. */
export function binCounts(values: ArrayLike<number>, bins: number, lo: number, hi: number): number[] {
  if (!(Number.isInteger(bins) && bins > 0)) throw new ArgumentError(`histogram: bins must be a positive integer, got ${bins}`);
  if (!(hi > lo)) throw new ArgumentError(`histogram: range must have hi > lo, got [${lo}, ${hi}]`);
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= lo && v <= hi)) continue;
    counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
  }
  return counts;
}

export function histogram(series: readonly { name: string; values: ArrayLike<number> }[], o: HistogramOptions = {}): string {
  if (series.length === 0) throw new ArgumentError('histogram: needs at least one series');
  const bins = o.bins ?? 20;
  let range = o.range;
  if (!range) {
    let lo = Infinity,
      hi = -Infinity;
    for (const s of series)
      for (let i = 0; i < s.values.length; i++) {
        lo = Math.min(lo, s.values[i]);
        hi = Math.max(hi, s.values[i]);
      }
    range = hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
  }
  const [lo, hi] = range;
  const heights = series.map((s) => {
    const c = binCounts(s.values, bins, lo, hi);
    return o.density ? c.map((v) => v / Math.max(s.values.length, 1)) : c;
  });
  const f = frame({
    ...o,
    yLabel: o.yLabel ?? (o.density ? 'fraction' : 'count'),
    xDomain: [lo, hi],
    yDomain: [0, Math.max(1e-12, ...heights.flat())],
    niceX: false,
  });
  const body = [...f.parts];
  const bw = (f.plot.right - f.plot.left) / bins;
  heights.forEach((h, si) =>
    h.forEach((v, b) => {
      if (v <= 0) return;
      body.push(
        rect(f.plot.left + b * bw, f.y(v), bw, f.y(0) - f.y(v), {
          fill: seriesColor(si),
          'fill-opacity': series.length > 1 ? 0.5 : 0.85,
          stroke: '#fff',
          'stroke-width': 0.5,
        }),
      );
    }),
  );
  // Left corner: the mass of confidence histograms sits at the right end.
  if (series.length > 1)
    body.push(
      legend(
        f,
        series.map((s) => s.name),
        'top',
        o.legendSide ?? 'left',
      ),
    );
  return svgDocument(f.width, f.height, body);
}
