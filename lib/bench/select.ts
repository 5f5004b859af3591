// Which workloads `--only a,b` means: each name picks the workload of exactly that name if there
// is one (so `--only conv` counts conv, not every conv_* too), else every one whose name contains it.
import { ArgumentError } from '../core/errors.js';

export function selectNames(all: readonly string[], only: readonly string[] | null | undefined, what: string): string[] {
  if (!only?.length) return [...all];
  const picked = new Set<string>();
  for (const o of only) {
    const hits = all.includes(o) ? [o] : all.filter((n) => n.includes(o));
    if (!hits.length) throw new ArgumentError(`bench: no ${what} matches '${o}' (${what}s: ${all.join(', ')})`);
    for (const h of hits) picked.add(h);
  }
  return all.filter((n) => picked.has(n));
}
