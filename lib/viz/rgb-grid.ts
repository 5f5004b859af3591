// Grids of small colour images (heat maps, overlays, projections) with captions and optional
// column headings. Pixels become SVG rectangles (runs of equal colour merged), like image-grid.
import { ArgumentError } from '../core/errors.js';
import { el, rect, svgDocument, text } from './svg.js';

export interface RgbImage {
  /** Interleaved RGB bytes, h*w*3. */
  rgb: Uint8Array;
  caption?: string[];
}

export interface RgbGridOptions {
  h: number;
  w: number;
  columns: number;
  scale?: number;
  title?: string;
  /** One heading per column, drawn above the first row. */
  columnTitles?: string[];
}

function rgbRects(px: Uint8Array, h: number, w: number, s: number, x0: number, y0: number): string[] {
  const out: string[] = [];
  const key = (j: number) => (px[j * 3] << 16) | (px[j * 3 + 1] << 8) | px[j * 3 + 2];
  for (let r = 0; r < h; r++) {
    let c = 0;
    while (c < w) {
      const k = key(r * w + c);
      let e = c + 1;
      while (e < w && key(r * w + e) === k) e++;
      out.push(rect(x0 + c * s, y0 + r * s, (e - c) * s, s, { fill: `#${k.toString(16).padStart(6, '0')}` }));
      c = e;
    }
  }
  return out;
}

export function rgbGrid(images: readonly RgbImage[], o: RgbGridOptions): string {
  if (images.length === 0) throw new ArgumentError('rgbGrid: needs at least one image');
  for (const im of images)
    if (im.rgb.length !== o.h * o.w * 3) throw new ArgumentError(`rgbGrid: an image has ${im.rgb.length} bytes, expected ${o.h}x${o.w}x3`);
  const s = o.scale ?? 3,
    cols = Math.min(o.columns, images.length);
  const lines = Math.max(0, ...images.map((im) => im.caption?.length ?? 0));
  const capW = Math.max(
    0,
    ...images.flatMap((im) => (im.caption ?? []).map((c) => c.length * 6.6)),
    ...(o.columnTitles ?? []).map((c) => c.length * 6.6),
  );
  const cellW = Math.max(o.w * s, capW) + 10,
    cellH = o.h * s + lines * 14 + 10;
  const top = (o.title ? 30 : 6) + (o.columnTitles ? 16 : 0);
  const width = Math.ceil(cols * cellW + 6),
    height = Math.ceil(top + Math.ceil(images.length / cols) * cellH + 4);
  const body: string[] = [];
  if (o.title) body.push(text(width / 2, 21, o.title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }));
  (o.columnTitles ?? [])
    .slice(0, cols)
    .forEach((t, c) => body.push(text(3 + c * cellW + cellW / 2, top - 5, t, { 'text-anchor': 'middle', 'font-size': 11 })));
  images.forEach((im, i) => {
    const cx = 3 + (i % cols) * cellW + cellW / 2,
      y = top + Math.floor(i / cols) * cellH,
      x = cx - (o.w * s) / 2;
    body.push(el('g', { 'shape-rendering': 'crispEdges' }, rgbRects(im.rgb, o.h, o.w, s, x, y)));
    body.push(rect(x, y, o.w * s, o.h * s, { fill: 'none', stroke: '#333', 'stroke-width': 1 }));
    (im.caption ?? []).forEach((c, j) =>
      body.push(text(cx, y + o.h * s + 13 + j * 14, c, { 'text-anchor': 'middle', 'font-size': 11, fill: '#333' })),
    );
  });
  return svgDocument(width, height, body);
}
