// Grouped bar charts: one group per category (e.g. a test condition), one coloured bar per
// series inside each group (e.g. a model), each bar labelled with its value; the legend sits in
// rows at the top of the plot, above the tallest bar, so it never hides one.
import { ArgumentError } from '../core/errors.js';
import { frame, MARGIN } from './axes.js';
import type { BarChartOptions } from './bar-chart.js';
import { seriesColor } from './palette.js';
import { rect, svgDocument, text } from './svg.js';

/** The bar chart's options; the colours name the series here, so there is nothing to highlight. */
export type GroupedBarsOptions = Omit<BarChartOptions, 'highlight'>;

/** values[g][s]: the value of series s in group g. */
export function groupedBars(
  groups: readonly string[],
  series: readonly string[],
  values: readonly (readonly number[])[],
  o: GroupedBarsOptions = {},
): string {
  if (groups.length === 0 || series.length === 0) throw new ArgumentError('groupedBars: needs at least one group and one series');
  if (values.length !== groups.length || values.some((r) => r.length !== series.length))
    throw new ArgumentError(`groupedBars: values must be ${groups.length} groups x ${series.length} series`);
  const flat = values.flat();
  const perRow = 4,
    legendH = Math.ceil(series.length / perRow) * 18 + 12;
  const width = o.width ?? Math.max(640, groups.length * (series.length * 26 + 30) + 80);
  const height = o.height ?? 440;
  const lo = o.yDomain?.[0] ?? Math.min(0, ...flat),
    hi = o.yDomain?.[1] ?? Math.max(...flat);
  // Headroom over the data for the legend rows and the value labels.
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const top = hi + ((hi - lo) * (legendH + 14)) / Math.max(plotH - legendH - 14, 1);
  const f = frame({
    ...o,
    width,
    height,
    xDomain: [0, groups.length],
    yDomain: [lo, top],
    niceX: false,
    niceY: false,
    xCategories: groups.map((g, i) => ({ at: i + 0.5, label: g })),
  });
  const body = [...f.parts];
  const slot = (f.plot.right - f.plot.left) / groups.length;
  const barW = (slot * 0.85) / series.length;
  const base = f.y(f.y.domain[0]);
  const fmt = o.format ?? ((v: number) => String(+v.toPrecision(3)));
  values.forEach((row, g) =>
    row.forEach((v, s) => {
      const y = Math.min(base, f.y(Math.max(v, f.y.domain[0])));
      const x = f.plot.left + g * slot + slot * 0.075 + s * barW;
      body.push(rect(x, y, barW * 0.9, base - y, { fill: seriesColor(s) }));
      body.push(text(x + barW * 0.45, y - 4, fmt(v), { 'text-anchor': 'middle', 'font-size': 8 }));
    }),
  );
  const colW = (f.plot.right - f.plot.left - 16) / Math.min(perRow, series.length);
  series.forEach((name, s) => {
    const x = f.plot.left + 8 + (s % perRow) * colW,
      y = f.plot.top + 8 + Math.floor(s / perRow) * 18;
    body.push(rect(x, y, 14, 10, { fill: seriesColor(s) }));
    body.push(text(x + 20, y + 9, name, { 'font-size': 12 }));
  });
  return svgDocument(f.width, f.height, body);
}
