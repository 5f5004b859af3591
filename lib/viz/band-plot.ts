// A predictive mean with a shaded band (e.g. mean +- 3 sigma) over x, with optional reference
// curves (the true function) and scattered points (the training data), one panel per model.
import { ArgumentError } from '../core/errors.js';
import { frame } from './axes.js';
import type { LinePlotOptions } from './line-plot.js';
import { seriesColor } from './palette.js';
import { el, polyline, rect, svgDocument, text } from './svg.js';

export interface BandSeries {
  x: readonly number[];
  mean: readonly number[];
  lower: readonly number[];
  upper: readonly number[];
}

/** yDomain: the band is clipped to it (a diverging band would squash the rest). */
export interface BandPlotOptions extends Pick<LinePlotOptions, 'title' | 'xLabel' | 'yLabel' | 'width' | 'height' | 'yDomain'> {
  /** Legend names: [mean, band, reference curve, points]. */
  names?: [string, string, string, string];
  reference?: { x: readonly number[]; y: readonly number[] };
  points?: { x: readonly number[]; y: readonly number[] };
}

export function bandPlot(s: BandSeries, o: BandPlotOptions = {}): string {
  const n = s.x.length;
  if (n < 2 || s.mean.length !== n || s.lower.length !== n || s.upper.length !== n)
    throw new ArgumentError(
      `bandPlot: x, mean, lower and upper need the same length >= 2, got ${n}, ${s.mean.length}, ${s.lower.length}, ${s.upper.length}`,
    );
  const ys = [...s.lower, ...s.upper, ...(o.reference?.y ?? []), ...(o.points?.y ?? [])].filter(Number.isFinite);
  const yDomain = o.yDomain ?? [Math.min(...ys), Math.max(...ys)];
  const f = frame({ ...o, xDomain: [Math.min(...s.x), Math.max(...s.x)], yDomain, niceX: false, niceY: !o.yDomain });
  const clip = (v: number) => Math.max(f.plot.top, Math.min(f.plot.bottom, f.y(v)));
  const body = [...f.parts];
  const upper = s.x.map((x, i) => `${f.x(x).toFixed(1)},${clip(s.upper[i]).toFixed(1)}`);
  const lower = s.x.map((x, i) => `${f.x(x).toFixed(1)},${clip(s.lower[i]).toFixed(1)}`).reverse();
  body.push(
    el('polygon', {
      points: [...upper, ...lower].join(' '),
      fill: seriesColor(0),
      'fill-opacity': 0.2,
      stroke: 'none',
    }),
  );
  const names = o.names ?? ['predictive mean', 'band', 'truth', 'data'];
  const shown = [names[0], names[1]];
  if (o.reference) {
    body.push(
      polyline(
        o.reference.x.map((x, i) => [f.x(x), clip(o.reference!.y[i])] as [number, number]),
        { stroke: seriesColor(1), 'stroke-width': 2, 'stroke-dasharray': '6 4' },
      ),
    );
    shown.push(names[2]);
  }
  body.push(
    polyline(
      s.x.map((x, i) => [f.x(x), clip(s.mean[i])] as [number, number]),
      { stroke: seriesColor(0), 'stroke-width': 2 },
    ),
  );
  if (o.points) {
    body.push(
      el(
        'g',
        { fill: seriesColor(3) },
        o.points.x.map((x, i) => el('circle', { cx: +f.x(x).toFixed(1), cy: +f.y(o.points!.y[i]).toFixed(1), r: 3.5 })),
      ),
    );
    shown.push(names[3]);
  }
  // Legend entries in drawing order: mean and band share the first colour, the band lighter.
  const entries: [string, string, number][] = [
    [shown[0], seriesColor(0), 1],
    [shown[1], seriesColor(0), 0.3],
  ];
  if (o.reference) entries.push([names[2], seriesColor(1), 1]);
  if (o.points) entries.push([names[3], seriesColor(3), 1]);
  const w = Math.max(...entries.map(([t]) => t.length)) * 7 + 34,
    x0 = f.plot.left + 8,
    y0 = f.plot.top + 8;
  body.push(
    el('g', {}, [
      rect(x0, y0, w, entries.length * 18 + 8, { fill: '#fff', 'fill-opacity': 0.85, stroke: '#999' }),
      ...entries.flatMap(([t, c, a], i) => [
        rect(x0 + 8, y0 + 8 + i * 18, 14, 10, { fill: c, 'fill-opacity': a }),
        text(x0 + 28, y0 + 17 + i * 18, t, { 'font-size': 12 }),
      ]),
    ]),
  );
  return svgDocument(f.width, f.height, body);
}
