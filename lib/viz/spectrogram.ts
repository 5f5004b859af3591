// Audio figures: waveforms and log-mel spectrograms side by side, one row per clip (e.g. one clip
// per spoken digit). Spectrograms are heat maps drawn as SVG rectangles: the dB values are
// quantised to 48 colour levels and equal neighbours in a row merged, which keeps the SVG small.
import { ArgumentError } from '../core/errors.js';
import { polyline, rect, svgDocument, text } from './svg.js';

export interface AudioPanel {
  label: string;
  /** Samples in [-1, 1]. */
  samples: ArrayLike<number>;
  sampleRate: number;
  /** Row-major [bands, frames] values (dB), low frequencies in row 0. */
  spectrogram: ArrayLike<number>;
  bands: number;
  frames: number;
}

const LEVELS = 48;
// Stops of a perceptually ordered dark-blue -> yellow map (viridis-like).
const STOPS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function heatColor(t: number): string {
  const u = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(u)),
    f = u - i;
  const c = STOPS[i].map((a, k) => Math.round(a + f * (STOPS[i + 1][k] - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function heatmap(p: AudioPanel, x0: number, y0: number, w: number, h: number, lo: number, hi: number): string[] {
  const out: string[] = [];
  const cw = w / p.frames,
    ch = h / p.bands;
  const level = (b: number, t: number) => {
    const u = (p.spectrogram[b * p.frames + t] - lo) / Math.max(hi - lo, 1e-9);
    return Math.max(0, Math.min(LEVELS - 1, Math.round(u * (LEVELS - 1))));
  };
  for (let b = 0; b < p.bands; b++) {
    const y = y0 + h - (b + 1) * ch; // low bands at the bottom
    for (let t = 0; t < p.frames;) {
      const l = level(b, t);
      let e = t + 1;
      while (e < p.frames && level(b, e) === l) e++;
      // A hair wider and taller than the cell so anti-aliasing leaves no seams.
      out.push(rect(x0 + t * cw, y, (e - t) * cw + 0.3, ch + 0.3, { fill: heatColor(l / (LEVELS - 1)) }));
      t = e;
    }
  }
  return out;
}

/** Min/max envelope of a waveform on `columns` columns (enough for a plot of that width). */
function envelope(s: ArrayLike<number>, columns: number): [number, number][] {
  const out: [number, number][] = [];
  const per = Math.max(1, Math.ceil(s.length / columns));
  for (let i = 0; i < s.length; i += per) {
    let lo = Infinity,
      hi = -Infinity;
    for (let j = i; j < Math.min(s.length, i + per); j++) ((lo = Math.min(lo, s[j])), (hi = Math.max(hi, s[j])));
    out.push([lo, hi]);
  }
  return out;
}

/** Rows of [waveform | log-mel spectrogram], one per panel, with a shared dB colour scale. */
export function audioPanels(panels: AudioPanel[], o: { title?: string; dbRange?: [number, number] } = {}): string {
  if (!panels.length) throw new ArgumentError('audioPanels: needs at least one panel');
  for (const p of panels)
    if (p.spectrogram.length !== p.bands * p.frames)
      throw new ArgumentError(`audioPanels: '${p.label}' has ${p.spectrogram.length} spectrogram values for ${p.bands} x ${p.frames}`);
  let lo = Infinity,
    hi = -Infinity;
  for (const p of panels)
    for (let i = 0; i < p.spectrogram.length; i++) ((lo = Math.min(lo, p.spectrogram[i])), (hi = Math.max(hi, p.spectrogram[i])));
  if (o.dbRange) [lo, hi] = o.dbRange;
  lo = Math.max(lo, hi - 80); // the bottom of a log-mel is silence; 80 dB of range shows the speech
  const rowH = 84,
    waveW = 360,
    specW = 300,
    left = 150,
    gap = 30,
    top = o.title ? 44 : 16;
  const width = left + waveW + gap + specW + 20,
    height = top + panels.length * rowH + 34;
  const body: string[] = [];
  if (o.title) body.push(text(width / 2, 26, o.title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }));
  panels.forEach((p, r) => {
    const y0 = top + r * rowH,
      h = rowH - 14;
    body.push(text(left - 8, y0 + h / 2 + 4, p.label, { 'text-anchor': 'end', 'font-size': 12 }));
    body.push(rect(left, y0, waveW, h, { fill: '#fafafa', stroke: '#ccc' }));
    const env = envelope(p.samples, waveW);
    const peak = Math.max(1e-6, ...env.map(([a, b]) => Math.max(-a, b)));
    const sx = waveW / env.length,
      mid = y0 + h / 2,
      sy = h / 2 / peak;
    const pts: [number, number][] = [];
    env.forEach(([a, b], i) => pts.push([left + i * sx, mid - b * sy], [left + i * sx, mid - a * sy]));
    body.push(polyline(pts, { stroke: '#0072B2', 'stroke-width': 1 }));
    body.push(
      text(left + waveW - 4, y0 + 12, `${(p.samples.length / p.sampleRate).toFixed(2)} s, peak ${peak.toFixed(2)}`, {
        'text-anchor': 'end',
        'font-size': 10,
        fill: '#555',
      }),
    );
    body.push(...heatmap(p, left + waveW + gap, y0, specW, h, lo, hi));
  });
  const yb = top + panels.length * rowH + 4;
  body.push(text(left + waveW / 2, yb + 10, 'waveform (time ->)', { 'text-anchor': 'middle', 'font-size': 11 }));
  body.push(
    text(left + waveW + gap + specW / 2, yb + 10, `log-mel (time ->, mel bands up), ${lo.toFixed(0)}..${hi.toFixed(0)} dB`, {
      'text-anchor': 'middle',
      'font-size': 11,
    }),
  );
  return svgDocument(width, height, body);
}
