// Grids of small greyscale images (MNIST digits) with per-image captions, e.g. label,
// prediction and probability. Pixels become SVG rectangles (runs of equal grey merged), so the
// figure stays vector and needs no image encoder.
import { ArgumentError } from '../core/errors.js';
import { el, rect, svgDocument, text } from './svg.js';

export interface GridImage {
  /** Row-major greyscale pixels, h*w values in [0, 1] (or 0..255 when `bytes`). */
  pixels: ArrayLike<number>;
  /** Caption lines under the image. */
  caption?: string[];
  /** Draws the frame and caption in red (e.g. a wrong prediction). */
  flagged?: boolean;
}

export interface ImageGridOptions {
  h: number;
  w: number;
  columns?: number;
  /** Size of one pixel in the output. */
  scale?: number;
  title?: string;
  /** Pixel values are 0..255 instead of [0, 1]. */
  bytes?: boolean;
  /** Dark digits on white (true, default) or white on black as stored. */
  invert?: boolean;
}

function imageRects(
  px: ArrayLike<number>,
  h: number,
  w: number,
  s: number,
  x0: number,
  y0: number,
  bytes: boolean,
  invert: boolean,
): string[] {
  const out: string[] = [];
  const grey = (v: number) => {
    const u = Math.max(0, Math.min(1, bytes ? v / 255 : v));
    return Math.round(255 * (invert ? 1 - u : u));
  };
  for (let r = 0; r < h; r++) {
    let c = 0;
    while (c < w) {
      const g = grey(px[r * w + c]);
      let e = c + 1;
      while (e < w && grey(px[r * w + e]) === g) e++;
      // The background is painted once; only non-background runs are emitted.
      if (g !== (invert ? 255 : 0)) out.push(rect(x0 + c * s, y0 + r * s, (e - c) * s, s, { fill: `rgb(${g},${g},${g})` }));
      c = e;
    }
  }
  return out;
}

export function imageGrid(images: readonly GridImage[], o: ImageGridOptions): string {
  if (images.length === 0) throw new ArgumentError('imageGrid: needs at least one image');
  for (const im of images)
    if (im.pixels.length !== o.h * o.w)
      throw new ArgumentError(`imageGrid: an image has ${im.pixels.length} pixels, expected ${o.h}x${o.w}`);
  const s = o.scale ?? 3,
    cols = Math.min(o.columns ?? 8, images.length),
    invert = o.invert ?? true;
  const lines = Math.max(0, ...images.map((im) => im.caption?.length ?? 0));
  const capW = Math.max(0, ...images.flatMap((im) => (im.caption ?? []).map((c) => c.length * 6.6)));
  const cellW = Math.max(o.w * s, capW) + 14,
    cellH = o.h * s + lines * 14 + 14;
  const top = o.title ? 32 : 6;
  const rows = Math.ceil(images.length / cols);
  const width = Math.ceil(cols * cellW + 6),
    height = Math.ceil(top + rows * cellH + 4);
  const body: string[] = [];
  if (o.title) body.push(text(width / 2, 21, o.title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }));
  images.forEach((im, i) => {
    const cx = 3 + (i % cols) * cellW + cellW / 2,
      y = top + Math.floor(i / cols) * cellH;
    const x = cx - (o.w * s) / 2;
    const colour = im.flagged ? '#c00000' : '#333';
    body.push(rect(x, y, o.w * s, o.h * s, { fill: invert ? '#fff' : '#000' }));
    body.push(el('g', { 'shape-rendering': 'crispEdges' }, imageRects(im.pixels, o.h, o.w, s, x, y, !!o.bytes, invert)));
    body.push(rect(x, y, o.w * s, o.h * s, { fill: 'none', stroke: colour, 'stroke-width': im.flagged ? 2 : 1 }));
    (im.caption ?? []).forEach((c, j) =>
      body.push(text(cx, y + o.h * s + 13 + j * 14, c, { 'text-anchor': 'middle', 'font-size': 11, fill: colour })),
    );
  });
  return svgDocument(width, height, body);
}
