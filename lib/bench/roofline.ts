// GFLOP/s of a measured value and its share of the GEMM roofline: the best GFLOP/s that GEMM
// reached in the same run on the same host, so a share compares a workload with what the
// machine's matrix multiply does right now (load included), not with a datasheet peak.

/** Units a benchmark value can have. */
export type Unit = 'images/s' | 'clips/s' | 'GFLOP/s' | 'ms' | 's';

/** GFLOP/s of a value in unit, given the GFLOP of one image (images/s), of one run (ms, s) or none. */
export function gflopsOf(unit: string, value: number | null | undefined, gflop: number | null | undefined): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return null;
  if (unit === 'GFLOP/s') return value;
  if (!gflop) return null;
  if (unit === 'images/s' || unit === 'clips/s') return value * gflop;
  if (unit === 'ms') return gflop / (value / 1000);
  if (unit === 's') return gflop / value;
  return null;
}

/** The roofline: the best of the GEMM GFLOP/s given (null when there is none). */
export function roofline(gemmGflops: readonly (number | null | undefined)[]): number | null {
  const best = Math.max(0, ...gemmGflops.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  return best > 0 ? best : null;
}

/** gflops / roof, or null when either is unknown. */
export const rooflineShare = (gflops: number | null, roof: number | null) => (gflops != null && roof ? gflops / roof : null);
