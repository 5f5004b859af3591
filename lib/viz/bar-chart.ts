// Bar charts of one value per category (e.g. test accuracy per model variant), each bar
// labelled with its value.
import { ArgumentError } from '../core/errors.js';
import { frame, PlotOptions } from './axes.js';
import { seriesColor } from './palette.js';
import { rect, svgDocument, text } from './svg.js';

export interface BarChartOptions extends PlotOptions {
  /** y range; bars start at its lower end (a zoomed range shows small differences). */
  yDomain?: [number, number];
  format?: (v: number) => string;
  /** Highlights the bar at this index (the reference model) in another colour. */
  highlight?: number;
}

export function barChart(bars: readonly { label: string; value: number }[], o: BarChartOptions = {}): string {
  if (bars.length === 0) throw new ArgumentError('barChart: needs at least one bar');
  const vals = bars.map((b) => b.value);
  const yDomain = o.yDomain ?? [Math.min(0, ...vals), Math.max(...vals)];
  const f = frame({
    ...o,
    width: o.width ?? Math.max(480, 110 * bars.length + 80),
    xDomain: [0, bars.length],
    yDomain,
    niceX: false,
    xCategories: bars.map((b, i) => ({ at: i + 0.5, label: b.label })),
  });
  const body = [...f.parts];
  const slot = (f.plot.right - f.plot.left) / bars.length;
  const base = f.y(f.y.domain[0]);
  const fmt = o.format ?? ((v: number) => String(+v.toPrecision(4)));
  bars.forEach((b, i) => {
    const top = Math.min(base, f.y(Math.max(b.value, f.y.domain[0])));
    const x = f.plot.left + i * slot + slot * 0.15;
    body.push(rect(x, top, slot * 0.7, base - top, { fill: i === o.highlight ? seriesColor(1) : seriesColor(0) }));
    body.push(text(x + slot * 0.35, top - 5, fmt(b.value), { 'text-anchor': 'middle', 'font-size': 11 }));
  });
  return svgDocument(f.width, f.height, body);
}
