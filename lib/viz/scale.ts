// Linear axis scales and "nice" tick values (1, 2, 5 x 10^k steps), shared by every plot.
export interface Scale {
  (v: number): number;
  domain: [number, number];
  ticks: number[];
}

export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(count, 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
}

/** Maps [d0, d1] to [r0, r1]; `nice` widens the domain to whole ticks. */
export function linearScale(d0: number, d1: number, r0: number, r1: number, opts: { nice?: boolean; ticks?: number } = {}): Scale {
  if (!(d1 > d0)) {
    // A flat series (all values equal) still needs a visible range.
    const pad = Math.abs(d0) > 0 ? Math.abs(d0) * 0.05 : 1;
    d0 -= pad;
    d1 += pad;
  }
  const step = niceStep(d1 - d0, opts.ticks ?? 5);
  if (opts.nice ?? true) {
    d0 = Math.floor(d0 / step + 1e-9) * step;
    d1 = Math.ceil(d1 / step - 1e-9) * step;
  }
  const ticks: number[] = [];
  for (let t = Math.ceil(d0 / step - 1e-9) * step; t <= d1 + step * 1e-9; t += step) ticks.push(Math.round(t / step) * step);
  const f = ((v: number) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0)) as Scale;
  f.domain = [d0, d1];
  f.ticks = ticks;
  return f;
}

/** Tick labels with as many decimals as the step needs. */
export function tickFormat(ticks: number[]): (v: number) => string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return (v) => (Math.abs(v) >= 1e5 ? v.toExponential(1) : v.toFixed(decimals));
}
