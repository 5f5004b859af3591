// A confusion matrix as a heat map: rows are the true class, columns the prediction, each cell
// with its count and its share of the row, shaded by that share.
import { ArgumentError } from '../core/errors.js';
import { el, rect, svgDocument, text } from './svg.js';

export interface ConfusionMatrixOptions {
  title?: string;
  /** Axis titles (defaults: "predicted class", "true class"). */
  xLabel?: string;
  yLabel?: string;
  cell?: number;
}

/** counts[t][p] = items of true class t predicted as p, for labels in [0, classes). */
export function confusionCounts(labels: ArrayLike<number>, pred: ArrayLike<number>, classes: number): number[][] {
  if (labels.length !== pred.length) throw new ArgumentError(`confusionCounts: ${labels.length} labels but ${pred.length} predictions`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i],
      p = pred[i];
    if (!(Number.isInteger(t) && Number.isInteger(p) && t >= 0 && p >= 0 && t < classes && p < classes))
      throw new ArgumentError(`confusionCounts: item ${i} has label ${t} and prediction ${p}; both must be integers in [0, ${classes})`);
    m[t][p]++;
  }
  return m;
}

export function confusionMatrixSvg(
  counts: readonly (readonly number[])[],
  classNames: readonly string[],
  o: ConfusionMatrixOptions = {},
): string {
  const k = classNames.length;
  if (counts.length !== k || counts.some((r) => r.length !== k))
    throw new ArgumentError(`confusionMatrixSvg: ${k} class names need a ${k} x ${k} matrix of counts`);
  const cell = o.cell ?? 84,
    nameW = Math.max(...classNames.map((n) => n.length)) * 7.5 + 16;
  const left = 36 + nameW,
    top = 64;
  const width = Math.max(left + k * cell + 24, (o.title?.length ?? 0) * 8.8 + 20),
    height = top + k * cell + 58;
  const body: string[] = [];
  if (o.title) body.push(text(width / 2, 22, o.title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }));
  body.push(text(left + (k * cell) / 2, top - 26, o.xLabel ?? 'predicted class', { 'text-anchor': 'middle', 'font-size': 13 }));
  const cy = top + (k * cell) / 2;
  body.push(
    text(16, cy, o.yLabel ?? 'true class', {
      'text-anchor': 'middle',
      'font-size': 13,
      transform: `rotate(-90 16 ${cy})`,
    }),
  );
  classNames.forEach((name, j) => {
    body.push(text(left + j * cell + cell / 2, top - 8, name, { 'text-anchor': 'middle', 'font-size': 12 }));
    body.push(text(left - 8, top + j * cell + cell / 2 + 4, name, { 'text-anchor': 'end', 'font-size': 12 }));
  });
  counts.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((c, p) => {
      const share = total ? c / total : 0;
      const x = left + p * cell,
        y = top + t * cell;
      body.push(
        rect(x, y, cell, cell, {
          fill: t === p ? '#0072B2' : '#D55E00',
          'fill-opacity': 0.08 + 0.8 * share,
          stroke: '#fff',
          'stroke-width': 2,
        }),
      );
      const ink = share > 0.55 ? '#fff' : '#111';
      body.push(
        text(x + cell / 2, y + cell / 2, c, {
          'text-anchor': 'middle',
          'font-size': 20,
          'font-weight': 'bold',
          fill: ink,
        }),
      );
      body.push(
        text(x + cell / 2, y + cell / 2 + 18, total ? `${(100 * share).toFixed(1)}% of row` : '-', {
          'text-anchor': 'middle',
          'font-size': 10,
          fill: ink,
        }),
      );
    });
  });
  const n = counts.flat().reduce((a, b) => a + b, 0),
    right = counts.reduce((a, r, i) => a + r[i], 0);
  body.push(
    text(left + (k * cell) / 2, top + k * cell + 26, `${right} / ${n} correct (${n ? ((100 * right) / n).toFixed(1) : '-'}%)`, {
      'text-anchor': 'middle',
      'font-size': 12,
    }),
  );
  return svgDocument(Math.ceil(width), height, [el('g', {}, body)]);
}
