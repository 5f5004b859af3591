// Small multiples of probability vectors: one panel of bars per example (e.g. a classifier's
// softmax output on a test image), the true class's bar in red, the probabilities written on top.
import { ArgumentError } from '../core/errors.js';
import { seriesColor } from './palette.js';
import { line, rect, svgDocument, text } from './svg.js';

export interface ProbabilityPanel {
  title: string;
  probs: ArrayLike<number>;
  /** Index of the true class (drawn in red), or -1. */
  truth: number;
}

export interface ProbabilityBarsOptions {
  title?: string;
  columns?: number;
  /** Class names under the bars (default 0, 1, ...). */
  classNames?: string[];
}

export function probabilityBars(panels: readonly ProbabilityPanel[], o: ProbabilityBarsOptions = {}): string {
  if (panels.length === 0) throw new ArgumentError('probabilityBars: needs at least one panel');
  const k = panels[0].probs.length;
  for (const p of panels)
    if (p.probs.length !== k)
      throw new ArgumentError(`probabilityBars: panel '${p.title}' has ${p.probs.length} probabilities, expected ${k}`);
  const cols = Math.min(o.columns ?? 5, panels.length),
    rows = Math.ceil(panels.length / cols);
  const barW = 22,
    plotH = 120,
    cellW = k * barW + 30,
    cellH = plotH + 70;
  const top = o.title ? 34 : 8;
  const width = cols * cellW + 10,
    height = top + rows * cellH;
  const body: string[] = [];
  if (o.title) body.push(text(width / 2, 22, o.title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }));
  panels.forEach((p, i) => {
    const x0 = 20 + (i % cols) * cellW,
      y0 = top + Math.floor(i / cols) * cellH + 20,
      base = y0 + plotH;
    body.push(text(x0 + (k * barW) / 2, y0 - 6, p.title, { 'text-anchor': 'middle', 'font-size': 12 }));
    body.push(line(x0, base, x0 + k * barW, base, { stroke: '#444' }));
    body.push(line(x0, y0, x0 + k * barW, y0, { stroke: '#e3e3e3' }));
    for (let c = 0; c < k; c++) {
      const v = Math.max(0, Math.min(1, p.probs[c])),
        h = v * plotH,
        x = x0 + c * barW;
      body.push(rect(x + 2, base - h, barW - 4, h, { fill: c === p.truth ? '#c00000' : seriesColor(0) }));
      if (v >= 0.05) body.push(text(x + barW / 2, base - h - 3, v.toFixed(2), { 'text-anchor': 'middle', 'font-size': 8 }));
      body.push(text(x + barW / 2, base + 13, o.classNames?.[c] ?? String(c), { 'text-anchor': 'middle', 'font-size': 10 }));
    }
  });
  return svgDocument(width, height, body);
}
