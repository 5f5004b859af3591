// Data points with fitted lines over them (regression fits): the points as dots, each line as
// a coloured segment across the x range, and a legend naming every line.
import { ArgumentError } from '../core/errors.js';
import { clearestCorner, frame, legend, PlotOptions } from './axes.js';
import { seriesColor } from './palette.js';
import { el, svgDocument } from './svg.js';

export interface FittedLine {
  name: string;
  slope: number;
  intercept: number;
}

export type ScatterFitOptions = PlotOptions;

export function scatterFit(x: ArrayLike<number>, y: ArrayLike<number>, lines: readonly FittedLine[], o: ScatterFitOptions = {}): string {
  if (x.length !== y.length || x.length === 0)
    throw new ArgumentError(`scatterFit: ${x.length} x values and ${y.length} y values (need equal, > 0)`);
  const bad = lines.find((l) => !Number.isFinite(l.slope) || !Number.isFinite(l.intercept));
  if (bad)
    throw new ArgumentError(
      `scatterFit: line '${bad.name}' has slope ${bad.slope} and intercept ${bad.intercept}; only finite lines can be drawn`,
    );
  const xs = Array.from(x),
    ys = Array.from(y);
  const x0 = Math.min(...xs),
    x1 = Math.max(...xs);
  // The view is the data's: a line far off it leaves through the frame and is clipped.
  const f = frame({ ...o, xDomain: [x0, x1], yDomain: [Math.min(...ys), Math.max(...ys)] });
  const { left, top, right, bottom } = f.plot;
  const body = [
    ...f.parts,
    el('clipPath', { id: 'plot-area' }, el('rect', { x: left, y: top, width: right - left, height: bottom - top })),
  ];
  xs.forEach((v, i) => body.push(el('circle', { cx: f.x(v), cy: f.y(ys[i]), r: 2.5, fill: '#888', 'fill-opacity': 0.7 })));
  const [d0, d1] = f.x.domain;
  const segs = lines.map((l, i) => {
    const pts: [number, number][] = [
      [f.x(d0), f.y(l.slope * d0 + l.intercept)],
      [f.x(d1), f.y(l.slope * d1 + l.intercept)],
    ];
    body.push(
      el('line', {
        x1: pts[0][0],
        y1: pts[0][1],
        x2: pts[1][0],
        y2: pts[1][1],
        stroke: seriesColor(i),
        'stroke-width': 2,
        'clip-path': 'url(#plot-area)',
      }),
    );
    return pts;
  });
  const names = lines.map((l) => l.name);
  const at = clearestCorner(f, names, segs, { where: 'top', side: 'left' });
  body.push(legend(f, names, at.where, at.side));
  return svgDocument(f.width, f.height, body);
}
