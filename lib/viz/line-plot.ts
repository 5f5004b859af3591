// Line plots with several series (loss and accuracy curves, sweeps).
import { ArgumentError } from '../core/errors.js';
import { clearestCorner, frame, legend, PlotOptions } from './axes.js';
import { seriesColor } from './palette.js';
import { el, polyline, svgDocument } from './svg.js';

export interface Series {
  name: string;
  x: readonly number[];
  y: readonly number[];
}

export interface LinePlotOptions extends PlotOptions {
  /** Fixed y range (e.g. [0, 1] for accuracies); otherwise the data's range. */
  yDomain?: [number, number];
  legendAt?: 'top' | 'bottom';
  integerX?: boolean;
}

export function linePlot(series: readonly Series[], o: LinePlotOptions = {}): string {
  if (series.length === 0) throw new ArgumentError('linePlot: needs at least one series');
  for (const s of series)
    if (s.x.length !== s.y.length || s.x.length === 0)
      throw new ArgumentError(`linePlot: series '${s.name}' has ${s.x.length} x values and ${s.y.length} y values (need equal, > 0)`);
  const xs = series.flatMap((s) => [...s.x]),
    ys = series.flatMap((s) => [...s.y]).filter(Number.isFinite);
  const f = frame({
    ...o,
    xDomain: [Math.min(...xs), Math.max(...xs)],
    yDomain: o.yDomain ?? [Math.min(...ys), Math.max(...ys)],
    niceX: false,
  });
  const body = [...f.parts];
  const lines = series.map((s, i) => {
    const pts = s.x.map((x, j) => [f.x(x), f.y(s.y[j])] as [number, number]).filter(([, y]) => Number.isFinite(y));
    body.push(polyline(pts, { stroke: seriesColor(i), 'stroke-width': 2 }));
    // Markers make single-point and short series readable.
    for (const [x, y] of pts) body.push(el('circle', { cx: x, cy: y, r: 3, fill: seriesColor(i) }));
    return pts;
  });
  // legendAt is a preference: the legend moves to another corner when that one hides less of the lines.
  const names = series.map((s) => s.name);
  const at = clearestCorner(f, names, lines, { where: o.legendAt ?? 'top', side: 'right' });
  body.push(legend(f, names, at.where, at.side));
  return svgDocument(f.width, f.height, body);
}
