// The frame every x/y chart shares: plot area, grid, ticks, axis labels, title and legend.
import { seriesColor } from './palette.js';
import { linearScale, Scale, tickFormat } from './scale.js';
import { el, line, rect, text } from './svg.js';

/** What every x/y chart takes: its title, axis titles and size in px. */
export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

export interface FrameOptions {
  width?: number;
  height?: number;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  xDomain: [number, number];
  yDomain: [number, number];
  /** Widen domains to nice ticks (default true). */
  niceX?: boolean;
  niceY?: boolean;
  /** Categorical x axis: labels drawn at these x values instead of numeric ticks. */
  xCategories?: { at: number; label: string }[];
  /** Only whole-number x ticks (epochs, counts). */
  integerX?: boolean;
}

export interface Frame {
  width: number;
  height: number;
  x: Scale;
  y: Scale;
  /** Axes, grid and labels (drawn under the data). */
  parts: string[];
  plot: { left: number; top: number; right: number; bottom: number };
}

export const MARGIN = { left: 64, right: 16, top: 36, bottom: 52 };

export function frame(o: FrameOptions): Frame {
  const width = o.width ?? 640,
    height = o.height ?? 400;
  const plot = { left: MARGIN.left, top: MARGIN.top, right: width - MARGIN.right, bottom: height - MARGIN.bottom };
  const x = linearScale(o.xDomain[0], o.xDomain[1], plot.left, plot.right, { nice: o.niceX ?? true, ticks: 8 });
  const y = linearScale(o.yDomain[0], o.yDomain[1], plot.bottom, plot.top, { nice: o.niceY ?? true, ticks: 6 });
  const parts: string[] = [];
  const fy = tickFormat(y.ticks),
    fx = tickFormat(x.ticks);
  for (const t of y.ticks) {
    parts.push(line(plot.left, y(t), plot.right, y(t), { stroke: '#e3e3e3' }));
    parts.push(text(plot.left - 6, y(t) + 4, fy(t), { 'text-anchor': 'end', 'font-size': 11 }));
  }
  if (o.xCategories) {
    for (const c of o.xCategories) parts.push(text(x(c.at), plot.bottom + 16, c.label, { 'text-anchor': 'middle', 'font-size': 11 }));
  } else {
    for (const t of x.ticks.filter((v) => !o.integerX || Number.isInteger(v))) {
      parts.push(line(x(t), plot.bottom, x(t), plot.bottom + 4));
      parts.push(text(x(t), plot.bottom + 17, fx(t), { 'text-anchor': 'middle', 'font-size': 11 }));
    }
  }
  parts.push(rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top, { fill: 'none', stroke: '#444' }));
  if (o.title) parts.push(text(width / 2, 22, o.title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }));
  if (o.xLabel) parts.push(text((plot.left + plot.right) / 2, height - 12, o.xLabel, { 'text-anchor': 'middle', 'font-size': 13 }));
  if (o.yLabel) {
    const cy = (plot.top + plot.bottom) / 2;
    parts.push(text(16, cy, o.yLabel, { 'text-anchor': 'middle', 'font-size': 13, transform: `rotate(-90 16 ${cy})` }));
  }
  return { width, height, x, y, parts, plot };
}

type Corner = { where: 'top' | 'bottom'; side: 'left' | 'right' };

function legendBox(f: Frame, names: string[], c: Corner): { x0: number; y0: number; w: number; h: number } {
  const w = Math.max(...names.map((n) => n.length)) * 7 + 34,
    h = names.length * 18 + 8;
  const x0 = c.side === 'right' ? f.plot.right - w - 8 : f.plot.left + 8,
    y0 = c.where === 'top' ? f.plot.top + 8 : f.plot.bottom - h - 8;
  return { x0, y0, w, h };
}

/**
 * The corner of the plot area where a legend box hides the least of the drawn lines (points
 * sampled along each segment, in pixels), the preferred corner first among equals.
 */
export function clearestCorner(f: Frame, names: string[], lines: readonly (readonly [number, number])[][], prefer: Corner): Corner {
  const samples = lines.flatMap((pts) =>
    pts.flatMap(([x, y], i) => {
      if (i === 0) return [[x, y]];
      const [px, py] = pts[i - 1];
      return Array.from({ length: 24 }, (_, k) => [px + ((x - px) * (k + 1)) / 24, py + ((y - py) * (k + 1)) / 24]);
    }),
  );
  const corners: Corner[] = [
    prefer,
    ...(['top', 'bottom'] as const).flatMap((where) => (['right', 'left'] as const).map((side) => ({ where, side }))),
  ];
  let best = prefer,
    fewest = Infinity;
  for (const c of corners) {
    const b = legendBox(f, names, c);
    const hidden = samples.filter(([x, y]) => x >= b.x0 - 4 && x <= b.x0 + b.w + 4 && y >= b.y0 - 4 && y <= b.y0 + b.h + 4).length;
    if (hidden < fewest) [best, fewest] = [c, hidden];
  }
  return best;
}

/** A legend box in a corner of the plot area. */
export function legend(f: Frame, names: string[], where: 'top' | 'bottom' = 'top', side: 'left' | 'right' = 'right'): string {
  if (names.length === 0) return '';
  const { x0, y0, w, h } = legendBox(f, names, { where, side });
  const items = names.map((n, i) =>
    [rect(x0 + 8, y0 + 8 + i * 18, 14, 10, { fill: seriesColor(i) }), text(x0 + 28, y0 + 17 + i * 18, n, { 'font-size': 12 })].join(''),
  );
  return el('g', {}, [rect(x0, y0, w, h, { fill: '#fff', 'fill-opacity': 0.85, stroke: '#999' }), ...items]);
}
