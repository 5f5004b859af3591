// Decision regions of a binary classifier over 2-D data: the score on a grid shaded by class,
// the 0.5 boundary, the train and test points with their true class, misclassified ones ringed,
// and a legend that names every colour and marker.
import { ArgumentError } from '../core/errors.js';
import { frame } from './axes.js';
import { seriesColor } from './palette.js';
import { el, rect, svgDocument, text } from './svg.js';

export interface RegionGrid {
  xDomain: [number, number];
  yDomain: [number, number];
  nx: number;
  ny: number;
  /** Score in [0, 1] of class 1 at the centre of each cell, row-major, row 0 at yDomain[0]. */
  score: ArrayLike<number>;
}

export interface RegionPoint {
  x: number;
  y: number;
  /** True class (0 or 1). */
  label: 0 | 1;
  split: 'train' | 'test';
  misclassified: boolean;
}

export interface DecisionRegionsOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Names of class 0 and class 1. */
  classNames: [string, string];
  width?: number;
  height?: number;
}

const LEGEND_W = 190;

/** A grid of cell centres covering the domains (for the caller to score). */
export function regionGridPoints(xDomain: [number, number], yDomain: [number, number], nx: number, ny: number): Float32Array {
  const pts = new Float32Array(nx * ny * 2);
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      pts[2 * (j * nx + i)] = xDomain[0] + ((i + 0.5) * (xDomain[1] - xDomain[0])) / nx;
      pts[2 * (j * nx + i) + 1] = yDomain[0] + ((j + 0.5) * (yDomain[1] - yDomain[0])) / ny;
    }
  return pts;
}

function marker(cx: number, cy: number, split: 'train' | 'test', fill: string): string {
  if (split === 'train') return el('circle', { cx, cy, r: 4, fill, stroke: '#222', 'stroke-width': 0.8 });
  const s = 5.5;
  return el('polygon', {
    points: `${cx},${cy - s} ${cx + s},${cy + s * 0.8} ${cx - s},${cy + s * 0.8}`,
    fill,
    stroke: '#000',
    'stroke-width': 1.2,
  });
}

export function decisionRegions(grid: RegionGrid, points: readonly RegionPoint[], o: DecisionRegionsOptions): string {
  const { nx, ny } = grid;
  if (!(nx > 0 && ny > 0 && grid.score.length === nx * ny))
    throw new ArgumentError(`decisionRegions: a ${nx} x ${ny} grid needs ${nx * ny} scores, got ${grid.score.length}`);
  const width = (o.width ?? 600) + LEGEND_W,
    height = o.height ?? 480;
  // The legend panel sits to the right of the plot area, outside the data.
  const g = frame({
    ...o,
    width: width - LEGEND_W,
    height,
    xDomain: grid.xDomain,
    yDomain: grid.yDomain,
    niceX: false,
    niceY: false,
  });
  const body: string[] = [];
  const cw = (g.plot.right - g.plot.left) / nx,
    ch = (g.plot.bottom - g.plot.top) / ny;
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      const p = grid.score[j * nx + i];
      const cls = p >= 0.5 ? 1 : 0;
      body.push(
        rect(g.plot.left + i * cw, g.plot.bottom - (j + 1) * ch, cw + 0.3, ch + 0.3, {
          fill: seriesColor(cls),
          'fill-opacity': 0.12 + 0.4 * Math.min(1, Math.abs(2 * p - 1)),
        }),
      );
    }
  // The boundary: edges between neighbouring cells on different sides of 0.5.
  const edge: string[] = [];
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      const side = grid.score[j * nx + i] >= 0.5;
      const x0 = g.plot.left + i * cw,
        y0 = g.plot.bottom - (j + 1) * ch;
      if (i + 1 < nx && grid.score[j * nx + i + 1] >= 0.5 !== side) edge.push(`M${x0 + cw},${y0}v${ch}`);
      if (j + 1 < ny && grid.score[(j + 1) * nx + i] >= 0.5 !== side) edge.push(`M${x0},${y0}h${cw}`);
    }
  if (edge.length) body.push(el('path', { d: edge.join(''), stroke: '#000', 'stroke-width': 1.5, fill: 'none' }));
  body.push(...g.parts);
  const inside = (p: RegionPoint) => p.x >= grid.xDomain[0] && p.x <= grid.xDomain[1] && p.y >= grid.yDomain[0] && p.y <= grid.yDomain[1];
  for (const split of ['train', 'test'] as const)
    for (const p of points.filter((q) => q.split === split && inside(q))) {
      const cx = g.x(p.x),
        cy = g.y(p.y);
      body.push(marker(cx, cy, split, seriesColor(p.label)));
      if (p.misclassified) body.push(el('circle', { cx, cy, r: 9, fill: 'none', stroke: '#C00000', 'stroke-width': 2 }));
    }
  const outside = points.filter((p) => !inside(p)).length;
  body.push(legendPanel(width - LEGEND_W + 4, g.plot.top, o.classNames, outside));
  return svgDocument(width, height, body);
}

function legendPanel(x0: number, y0: number, names: [string, string], outside: number): string {
  const rows: string[] = [];
  let y = y0 + 14;
  const row = (glyph: string, label: string) => {
    rows.push(glyph, text(x0 + 30, y + 4, label, { 'font-size': 12 }));
    y += 22;
  };
  rows.push(text(x0, y, 'region (score of class 1)', { 'font-size': 12, 'font-weight': 'bold' }));
  y += 18;
  for (const c of [1, 0] as const)
    row(
      rect(x0 + 4, y - 6, 18, 12, { fill: seriesColor(c), 'fill-opacity': 0.45, stroke: '#666' }),
      `${c === 1 ? '>= 0.5' : '< 0.5'}: ${names[c]}`,
    );
  row(el('path', { d: `M${x0 + 4},${y}h18`, stroke: '#000', 'stroke-width': 1.5 }), 'boundary (score 0.5)');
  rows.push(text(x0, y + 6, 'points (colour = true class)', { 'font-size': 12, 'font-weight': 'bold' }));
  y += 26;
  for (const c of [1, 0] as const) row(marker(x0 + 13, y, 'train', seriesColor(c)), `train, ${names[c]}`);
  for (const c of [1, 0] as const) row(marker(x0 + 13, y, 'test', seriesColor(c)), `test, ${names[c]}`);
  row(el('circle', { cx: x0 + 13, cy: y, r: 8, fill: 'none', stroke: '#C00000', 'stroke-width': 2 }), 'misclassified');
  rows.push(text(x0, y + 6, 'shade: darker = more confident', { 'font-size': 11, fill: '#555' }));
  if (outside) rows.push(text(x0, y + 24, `${outside} point(s) outside the view`, { 'font-size': 11, fill: '#555' }));
  return el('g', {}, rows);
}
