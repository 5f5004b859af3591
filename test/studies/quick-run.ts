// A study's quick preset for its test: `nnlab run <study> --quick --out <tmp> --json`, run here,
// or, when NNLAB_QUICK_SITE names the folder of an `nnlab reproduce --quick` (CI builds the whole
// site before the tests), that study's run folder in the site: every quick preset then runs once
// per CI, as part of the site, and the study tests check its folders instead of training again.
// A study missing from the site (not selected, or it failed there) is run here as before
// (runQuick in helpers.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The run folder of `study` in the site of NNLAB_QUICK_SITE, or null. */
export function siteFolder(study: string): string | null {
  const site = process.env.NNLAB_QUICK_SITE;
  if (!site) return null;
  const dir = join(resolve(site), study);
  return existsSync(join(dir, 'summary.json')) ? dir : null;
}

/** What `nnlab run` prints for a finished run (lib/cli/commands/run.ts), from its summary.json. */
export function printedSummary(dir: string): string {
  const text = readFileSync(join(dir, 'summary.json'), 'utf8');
  const s = JSON.parse(text) as { out: string; seconds: number; headline: Record<string, number | string> };
  const fmt = (v: number | string) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : String(v));
  const lines = Object.entries(s.headline).map(([k, v]) => `${k}: ${fmt(v)}`);
  return [...lines, `run folder ${s.out} (${s.seconds.toFixed(1)} s)`, JSON.stringify(s)].join('\n') + '\n';
}
