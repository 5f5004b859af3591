// Heat maps over images: a colour map, alpha blending onto the (grey or RGB) image, and a small
// PNG encoder (zlib from Node) so an overlay can be saved without a renderer.
import { deflateSync } from 'node:zlib';

import { ArgumentError } from '../core/errors.js';

export type ColorMap = 'jet' | 'inferno' | 'grey';

// Anchor colours, evenly spaced over [0, 1], interpolated linearly.
const ANCHORS: Record<ColorMap, [number, number, number][]> = {
  jet: [
    [0, 0, 128],
    [0, 0, 255],
    [0, 128, 255],
    [0, 255, 255],
    [128, 255, 128],
    [255, 255, 0],
    [255, 128, 0],
    [255, 0, 0],
    [128, 0, 0],
  ],
  inferno: [
    [0, 0, 4],
    [40, 11, 84],
    [101, 21, 110],
    [159, 42, 99],
    [212, 72, 66],
    [245, 125, 21],
    [250, 193, 39],
    [252, 255, 164],
  ],
  grey: [
    [0, 0, 0],
    [255, 255, 255],
  ],
};

/** The colour of v in [0, 1] (clamped) under `map`. */
export function colorOf(v: number, map: ColorMap = 'jet'): [number, number, number] {
  const a = ANCHORS[map];
  if (!a) throw new ArgumentError(`unknown colour map '${map}'; use one of ${Object.keys(ANCHORS).join(', ')}`);
  const u = Math.max(0, Math.min(1, Number.isFinite(v) ? v : 0)) * (a.length - 1);
  const i = Math.min(a.length - 2, Math.floor(u)),
    f = u - i;
  return [0, 1, 2].map((c) => Math.round(a[i][c] + f * (a[i + 1][c] - a[i][c]))) as [number, number, number];
}

export interface OverlayOptions {
  /** Weight of the heat map's colour (default 0.5). */
  alpha?: number;
  colorMap?: ColorMap;
  /** The image is dark on light (true) or light on dark as stored (false, default). */
  invert?: boolean;
}

/**
 * Blends `heat` (h*w values in [0, 1]) over `image` (h*w grey values in [0, 1], or 3*h*w as RGB
 * planes): interleaved RGB bytes [h*w*3].
 */
export function overlayRgb(image: ArrayLike<number>, heat: ArrayLike<number>, h: number, w: number, o: OverlayOptions = {}): Uint8Array {
  const plane = h * w,
    alpha = o.alpha ?? 0.5;
  if (heat.length !== plane) throw new ArgumentError(`overlay: heat map has ${heat.length} values, expected ${h}x${w} = ${plane}`);
  if (image.length !== plane && image.length !== 3 * plane)
    throw new ArgumentError(
      `overlay: image has ${image.length} values, expected ${plane} (grey) or ${3 * plane} (RGB planes) for ${h}x${w}`,
    );
  if (!(alpha >= 0 && alpha <= 1)) throw new ArgumentError(`overlay: alpha must be in [0, 1], got ${alpha}`);
  const out = new Uint8Array(plane * 3);
  for (let j = 0; j < plane; j++) {
    const colour = colorOf(heat[j], o.colorMap);
    for (let c = 0; c < 3; c++) {
      let v = Math.max(0, Math.min(1, image[image.length === plane ? j : c * plane + j]));
      if (o.invert) v = 1 - v;
      out[j * 3 + c] = Math.round((1 - alpha) * 255 * v + alpha * colour[c]);
    }
  }
  return out;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGB PNG of interleaved bytes [h*w*3], each pixel drawn as scale x scale. */
export function encodePng(rgb: Uint8Array, h: number, w: number, scale = 1): Buffer {
  if (rgb.length !== h * w * 3) throw new ArgumentError(`encodePng: ${rgb.length} bytes for ${h}x${w} RGB (expected ${h * w * 3})`);
  const H = h * scale,
    W = w * scale,
    raw = Buffer.alloc(H * (W * 3 + 1));
  for (let y = 0; y < H; y++) {
    const row = y * (W * 3 + 1),
      sy = Math.floor(y / scale);
    for (let x = 0; x < W; x++) {
      const src = (sy * w + Math.floor(x / scale)) * 3;
      raw[row + 1 + x * 3] = rgb[src];
      raw[row + 2 + x * 3] = rgb[src + 1];
      raw[row + 3 + x * 3] = rgb[src + 2];
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(W, 0);
  ihdr.writeUInt32BE(H, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** overlayRgb then encodePng: the heat map over the image as a PNG file's bytes. */
export function overlayPng(
  image: ArrayLike<number>,
  heat: ArrayLike<number>,
  h: number,
  w: number,
  o: OverlayOptions & { scale?: number } = {},
): Buffer {
  return encodePng(overlayRgb(image, heat, h, w, o), h, w, o.scale ?? 8);
}
