// Tables drawn as SVG (for the PNG/SVG figure set) and as HTML (for report.html).
import { ArgumentError } from '../core/errors.js';
import { el, esc, line, rect, svgDocument, text } from './svg.js';

export interface TableData {
  columns: string[];
  rows: (string | number)[][];
  title?: string;
}

const cell = (v: string | number) => (typeof v === 'number' ? String(+v.toPrecision(6)) : v);

function check(t: TableData): void {
  for (const r of t.rows)
    if (r.length !== t.columns.length) throw new ArgumentError(`table: a row has ${r.length} cells for ${t.columns.length} columns`);
}

export function tableSvg(t: TableData): string {
  check(t);
  const charW = 7.2,
    pad = 12,
    rowH = 24;
  const widths = t.columns.map((c, j) => pad * 2 + charW * Math.max(c.length, ...t.rows.map((r) => cell(r[j]).length)));
  // Wide enough for the bold 15 px title too (about 8.8 px a character), so it is never clipped.
  const width = Math.max(Math.ceil(widths.reduce((a, b) => a + b, 0)) + 20, t.title ? Math.ceil(8.8 * t.title.length) + 20 : 0);
  const top = t.title ? 34 : 10;
  const height = top + rowH * (t.rows.length + 1) + 10;
  const body: string[] = [];
  if (t.title) body.push(text(width / 2, 22, t.title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }));
  const x0 = 10;
  body.push(rect(x0, top, width - 20, rowH, { fill: '#eef2f7' }));
  // A column whose cells are all numbers is right-aligned, its header too.
  const numeric = t.columns.map((_, j) => t.rows.length > 0 && t.rows.every((r) => typeof r[j] === 'number'));
  [t.columns, ...t.rows].forEach((r, i) => {
    let x = x0;
    const y = top + rowH * i;
    if (i > 1 && i % 2 === 0) body.push(rect(x0, y, width - 20, rowH, { fill: '#fafafa' }));
    r.forEach((v, j) => {
      // Numbers right-aligned so digits line up; text left-aligned.
      const num = typeof v === 'number' || (i === 0 && numeric[j]);
      body.push(
        text(num ? x + widths[j] - pad : x + pad, y + 16, cell(v), {
          'text-anchor': num ? 'end' : 'start',
          'font-size': 12,
          'font-weight': i === 0 ? 'bold' : undefined,
        }),
      );
      x += widths[j];
    });
    body.push(line(x0, y + rowH, width - 10, y + rowH, { stroke: i === 0 ? '#444' : '#ddd' }));
  });
  return svgDocument(width, height, body);
}

export function tableHtml(t: TableData): string {
  check(t);
  const head = el(
    'tr',
    {},
    t.columns.map((c) => el('th', {}, esc(c))),
  );
  const rows = t.rows.map((r) =>
    el(
      'tr',
      {},
      r.map((v) => el('td', typeof v === 'number' ? { class: 'num' } : {}, esc(cell(v)))),
    ),
  );
  return el('table', {}, [t.title ? el('caption', {}, esc(t.title)) : '', el('thead', {}, head), el('tbody', {}, rows)]);
}
