// A result and a comparison as text (padded columns) or Markdown (for CI job summaries).
import type { Comparison } from './compare.js';
import { type BenchResult, isError } from './types.js';

export type Format = 'text' | 'markdown';

const num = (v: number | null | undefined, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');
const sig = (v: number) => (v >= 100 ? num(v, 0) : v >= 10 ? num(v, 1) : num(v, 2));
const pct = (v: number | null | undefined, d = 0) => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(d)}%` : '-');
const signedPct = (v: number | null) => (v == null ? '-' : `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}%`);

/** Columns padded (numbers right-aligned), or a Markdown table. */
export function table(header: string[], rows: string[][], format: Format, right: boolean[] = []): string {
  if (format === 'markdown') {
    const line = (cells: string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
    return [line(header), `|${header.map((_, i) => (right[i] ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map(line)].join('\n');
  }
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function hostLine(r: BenchResult): string {
  const h = r.host;
  return `nnlab ${h.nnlab} (${h.binary} binary), ${h.isa} kernels, ${h.threads} threads; ${h.cpu}, ${h.cores} cores; node ${h.node}; load ${h.loadavg.join(' ')}`;
}

export function formatResult(r: BenchResult, format: Format = 'text'): string {
  if (r.mode === 'counts') {
    const rows = r.workloads.map((w) => [w.id, String(w.instructions)]);
    return [
      table(['workload', 'instructions'], rows, format, [false, true]),
      '',
      `${hostLine(r)}; instructions counted by callgrind (AVX2 kernels, 1 thread)`,
    ].join('\n');
  }
  const rows = r.workloads.map((w) =>
    isError(w)
      ? [w.id, 'error', '', '', '', '', '', '', '']
      : [
          w.id,
          w.size,
          `${sig(w.value)} ${w.unit}`,
          `±${pct(w.spread, 1)}`,
          num(w.ms, 2),
          num(w.gflops),
          pct(w.roofline_share),
          num(w.peak_rss_mb, 0),
          String(w.threads),
        ],
  );
  const out = [
    table(['workload', 'size', 'median', 'spread', 'ms/step', 'GFLOP/s', 'roofline', 'RSS MB', 'threads'], rows, format, [
      false,
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
    ]),
    '',
    `${hostLine(r)}`,
    `${r.reps} repetitions per workload after warm-up${r.clock === 'cpu' ? ', timed on the CPU-time clock (process CPU time per step, all threads)' : ''}; spread = half the interquartile range; roofline = the best GEMM GFLOP/s of this run (${num(r.roofline_gflops)})`,
  ];
  for (const w of r.workloads) if (isError(w)) out.push(`${w.id}: ${w.error}`);
  return out.join(format === 'markdown' ? '\n\n' : '\n').replace(/\n\n\n+/g, '\n\n');
}

const STATUS: Record<string, string> = {
  ok: 'ok',
  slower: 'SLOWER (regression)',
  faster: 'faster',
  noise: 'slower, within noise',
  new: 'new',
  missing: 'not run',
  error: 'error',
  rise: 'MORE INSTRUCTIONS (regression)',
  drop: 'FAR FEWER INSTRUCTIONS (regression: work skipped?)',
};

export function formatComparison(c: Comparison, format: Format = 'text'): string {
  const time = c.mode === 'time';
  const fig = (v: number | null) => (v == null ? '-' : time ? num(v, 3) : String(v));
  const rows = c.changes.map((x) => [
    x.id,
    fig(x.baseline),
    fig(x.current),
    signedPct(x.change),
    ...(time ? [x.p == null ? '-' : x.p.toPrecision(2)] : []),
    STATUS[x.status],
  ]);
  const head = [
    'workload',
    time ? 'baseline ms' : 'baseline',
    time ? 'current ms' : 'current',
    'change',
    ...(time ? ['p'] : []),
    'verdict',
  ];
  const out = [
    table(
      head,
      rows,
      format,
      head.map((h, i) => i > 0 && h !== 'verdict'),
    ),
  ];
  out.push(
    time
      ? `regression: slower by more than ${pct(c.threshold, 1)} and significant (one-sided Mann-Whitney U, p < ${c.alpha})`
      : `regression: more than ${pct(c.threshold, 1)} more instructions, or more than 20% fewer`,
  );
  if (c.hostDiffers.length) out.push(`note: the baseline ran elsewhere (${c.hostDiffers.join('; ')})`);
  out.push(c.regressions ? `${c.regressions} regression(s)` : 'no regression');
  return out.join(format === 'markdown' ? '\n\n' : '\n');
}
