// Scatter plots of labelled 2-D points (e.g. an autoencoder's latent codes), one colour per
// group with a legend naming each group and its point count.
import { ArgumentError } from '../core/errors.js';
import { frame, PlotOptions } from './axes.js';
import { el, rect, svgDocument, text } from './svg.js';

/** Ten distinguishable colours (matplotlib's tab10), enough for one per class of MNIST-like sets. */
export const CATEGORY_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

export interface ScatterOptions extends PlotOptions {
  radius?: number;
  opacity?: number;
}

/** Points (xs[i], ys[i]) coloured by group[i], an index into groupNames. */
export function scatterPlot(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  group: ArrayLike<number>,
  groupNames: readonly string[],
  o: ScatterOptions = {},
): string {
  const n = xs.length;
  if (ys.length !== n || group.length !== n)
    throw new ArgumentError(`scatterPlot: ${n} x values, ${ys.length} y values and ${group.length} groups (need equal)`);
  if (n === 0) throw new ArgumentError('scatterPlot: needs at least one point');
  if (groupNames.length > CATEGORY_COLORS.length)
    throw new ArgumentError(`scatterPlot: at most ${CATEGORY_COLORS.length} groups, got ${groupNames.length}`);
  for (let i = 0; i < n; i++)
    if (!(Number.isInteger(group[i]) && group[i] >= 0 && group[i] < groupNames.length))
      throw new ArgumentError(`scatterPlot: point ${i} has group ${group[i]}, expected 0..${groupNames.length - 1}`);
  const finite = (a: ArrayLike<number>) => Array.from(a).filter(Number.isFinite);
  const fx = finite(xs),
    fy = finite(ys);
  const span = (v: number[]): [number, number] => {
    const lo = Math.min(...v),
      hi = Math.max(...v);
    return lo === hi ? [lo - 1, hi + 1] : [lo, hi];
  };
  const legendW = 20 + 7.2 * Math.max(...groupNames.map((g) => g.length + 8));
  const width = o.width ?? 760;
  const f = frame({ ...o, width: width - legendW, height: o.height ?? 520, xDomain: span(fx), yDomain: span(fy) });
  const body = [...f.parts];
  const r = o.radius ?? 2.2,
    opacity = o.opacity ?? 0.6;
  const counts = new Array<number>(groupNames.length).fill(0);
  const dots: string[][] = groupNames.map(() => []);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
    counts[group[i]]++;
    dots[group[i]].push(el('circle', { cx: +f.x(xs[i]).toFixed(1), cy: +f.y(ys[i]).toFixed(1), r }));
  }
  dots.forEach((d, g) => body.push(el('g', { fill: CATEGORY_COLORS[g], 'fill-opacity': opacity }, d)));
  // The legend sits right of the plot area, so it never hides points.
  const lx = f.width + 4,
    ly = f.plot.top;
  groupNames.forEach((name, g) => {
    body.push(rect(lx, ly + g * 20, 12, 12, { fill: CATEGORY_COLORS[g] }));
    body.push(text(lx + 18, ly + g * 20 + 10, `${name} (${counts[g]})`, { 'font-size': 12 }));
  });
  return svgDocument(width, f.height, body);
}
