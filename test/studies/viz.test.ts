// The SVG builders and the PNG renderer: every figure kind is well-formed SVG with explicit
// size, and resvg renders it at twice that size.
import { describe, expect, it } from 'vitest';

import { ArgumentError } from '../../lib/index.js';
import { binCounts, imageGrid, linePlot, svgToPng, tableHtml, tableSvg } from '../../lib/viz/index.js';
import { SAMPLE_FIGURES } from './sample-figures.js';

const pngSize = (png: Buffer) => ({ w: png.readUInt32BE(16), h: png.readUInt32BE(20) });
const svgSize = (svg: string) => {
  const m = svg.match(/<svg[^>]* width="(\d+)" height="(\d+)"/)!;
  return { w: Number(m[1]), h: Number(m[2]) };
};

describe('viz', () => {
  for (const [kind, svg] of Object.entries(SAMPLE_FIGURES)) {
    it(`${kind}: SVG with a size, rendered to a PNG of twice that size`, () => {
      expect(svg.startsWith('<?xml')).toBe(true);
      expect(svg).not.toMatch(/NaN|undefined/);
      const s = svgSize(svg);
      const png = svgToPng(svg);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(pngSize(png)).toEqual({ w: 2 * s.w, h: 2 * s.h });
    });
  }

  it('escapes text and rejects bad input with typed errors', () => {
    expect(SAMPLE_FIGURES.line).toContain('test &lt;&amp;&gt;');
    expect(() => linePlot([])).toThrow(ArgumentError);
    expect(() => linePlot([{ name: 'a', x: [1, 2], y: [1] }])).toThrow(ArgumentError);
    expect(() => imageGrid([{ pixels: new Uint8Array(3) }], { h: 28, w: 28 })).toThrow(ArgumentError);
    expect(() => tableSvg({ columns: ['a'], rows: [[1, 2]] })).toThrow(ArgumentError);
    expect(tableHtml({ columns: ['a<b'], rows: [[1]] })).toContain('a&lt;b');
  });

  it('a line-plot legend moves off the lines when its preferred corner would hide them', () => {
    const legendXY = (svg: string) => {
      const m = /<rect x="([\d.]+)" y="([\d.]+)"[^>]*fill-opacity="0.85"/.exec(svg)!;
      return [Number(m[1]), Number(m[2])];
    };
    // Flat at the top: the top-right corner (preferred) would cover it; the bottom is empty.
    const high = linePlot(
      [
        { name: 'accuracy', x: [0, 1, 2, 3], y: [0.99, 0.99, 0.98, 0.98] },
        { name: 'other', x: [0, 3], y: [0.97, 0.99] },
      ],
      { yDomain: [0, 1] },
    );
    // Falling from top-left to bottom-right: the top-right corner is clear and is kept.
    const falling = linePlot([{ name: 'loss', x: [0, 1, 2, 3], y: [1, 0.6, 0.2, 0] }], { yDomain: [0, 1] });
    const [, yHigh] = legendXY(high),
      [xFall, yFall] = legendXY(falling);
    expect(yHigh).toBeGreaterThan(200); // moved to the bottom half of the 480-px-high plot
    expect(yFall).toBeLessThan(100);
    expect(xFall).toBeGreaterThan(300); // right side, as preferred
  });

  it('a table is at least as wide as its title (a long title over narrow columns is not clipped)', () => {
    const svg = tableSvg({
      title: 'Convergence: first epoch whose validation accuracy reaches each threshold',
      columns: ['a', 'b'],
      rows: [[1, 2]],
    });
    const width = Number(/width="([\d.]+)"/.exec(svg)![1]);
    expect(width).toBeGreaterThanOrEqual(8.8 * 74);
  });

  it('binCounts closes the last bin so m(x) = 1 is counted', () => {
    expect(binCounts([0, 0.05, 0.5, 1, 1, 2], 10, 0, 1)).toEqual([2, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
  });
});
