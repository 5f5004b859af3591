// A minimal SVG document builder: elements are strings assembled with escaped attributes and
// text, so a figure is a pure function of its data (diffable, no DOM needed in Node).
export type Attrs = Record<string, string | number | undefined>;

/** The font stack: DejaVu/Liberation are what Debian ships, so resvg and browsers agree. */
export const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

export function esc(s: string | number): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Numbers rounded to 2 decimals keep files small without visible loss. */
function fmtAttr(v: string | number): string {
  return typeof v === 'number' ? String(Math.round(v * 100) / 100) : esc(v);
}

export function el(tag: string, attrs: Attrs = {}, children: string | string[] = ''): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${fmtAttr(v as string | number)}"`)
    .join('');
  const body = Array.isArray(children) ? children.join('') : children;
  return body === '' ? `<${tag}${a}/>` : `<${tag}${a}>${body}</${tag}>`;
}

export function text(x: number, y: number, s: string | number, attrs: Attrs = {}): string {
  return el('text', { x, y, 'font-size': 12, ...attrs }, esc(s));
}

export function line(x1: number, y1: number, x2: number, y2: number, attrs: Attrs = {}): string {
  return el('line', { x1, y1, x2, y2, stroke: '#000', ...attrs });
}

export function rect(x: number, y: number, width: number, height: number, attrs: Attrs = {}): string {
  return el('rect', { x, y, width, height, ...attrs });
}

export function polyline(points: [number, number][], attrs: Attrs = {}): string {
  return el('polyline', { points: points.map(([x, y]) => `${fmtAttr(x)},${fmtAttr(y)}`).join(' '), fill: 'none', ...attrs });
}

/** A complete SVG document with explicit width/height (browsers need them for naturalWidth). */
export function svgDocument(width: number, height: number, body: string[]): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    el(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        width,
        height,
        viewBox: `0 0 ${width} ${height}`,
        'font-family': FONT,
      },
      [rect(0, 0, width, height, { fill: '#fff' }), ...body],
    ) +
    '\n'
  );
}
