// SVG -> PNG with @resvg/resvg-js (a Rust renderer shipped as prebuilt npm binaries), and the
// pair of files every figure is saved as.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { IOError } from '../core/errors.js';

type ResvgCtor = new (svg: string, opts: object) => { render(): { asPng(): Buffer; width: number; height: number } };

let resvg: ResvgCtor | null = null;

/** Loaded on first use so `import 'nnlab'` works where the optional renderer is absent. */
function loadResvg(): ResvgCtor {
  if (resvg) return resvg;
  try {
    const require = createRequire(import.meta.url);
    resvg = (require('@resvg/resvg-js') as { Resvg: ResvgCtor }).Resvg;
    return resvg;
  } catch (e) {
    throw new IOError(`PNG rendering needs the npm package @resvg/resvg-js (npm install @resvg/resvg-js): ${(e as Error).message}`);
  }
}

/** Renders at `zoom` times the SVG's size (2 = sharp on high-density screens). */
export function svgToPng(svg: string, zoom = 2): Buffer {
  const R = loadResvg();
  const r = new R(svg, {
    fitTo: { mode: 'zoom', value: zoom },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
  });
  return r.render().asPng();
}

export interface FigureFiles {
  name: string;
  svg: string;
  png: string;
}

/** Writes <dir>/<name>.svg and <dir>/<name>.png; returns the file names (relative to dir). */
export function writeFigure(dir: string, name: string, svg: string): FigureFiles {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new IOError(`figure name '${name}' must be letters, digits, '_' or '-'`);
  writeFileSync(join(dir, `${name}.svg`), svg);
  writeFileSync(join(dir, `${name}.png`), svgToPng(svg));
  return { name, svg: `${name}.svg`, png: `${name}.png` };
}
