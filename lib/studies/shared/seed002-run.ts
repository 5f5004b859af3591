// What the seed-002 studies share beyond their data: a run folder without MNIST, and the
// "report says / nnlab gets" table that opens each report.html.
import { manualSeed, resolveDevice } from '../../index.js';
import type { TableData } from '../../viz/table.js';
import { RunFolder } from '../../report/run-folder.js';
import { BaseConfig, checkLimits, RunHooks, stderrLog } from './common.js';

export interface Seed002Context {
  folder: RunFolder;
  log: (line: string) => void;
}

/** The run folder and config.json of a study on synthetic data (the device is always the CPU: the nets are tiny). */
export function startSynthetic(study: string, c: BaseConfig, hooks: RunHooks, extra: Record<string, unknown>): Seed002Context {
  checkLimits(c);
  const log = hooks.log ?? stderrLog;
  const folder = new RunFolder(study, c.out);
  const device = resolveDevice(c.device, log);
  if (device !== 'cpu') log(`${study}: the networks have at most 17 parameters; they run on the CPU whatever the device`);
  manualSeed(c.seed);
  log(`nnlab run ${study} (${c.preset} preset)`);
  folder.writeConfig({ ...c, ...extra, out: folder.dir, device_used: 'cpu' }, 'cpu');
  return { folder, log };
}

export interface Claim {
  quantity: string;
  report: string;
  nnlab: string;
}

/**
 * The first table of report.html: what the study asks, then the seed report's numbers beside
 * ours; the title names the preset and, for --quick, what it leaves out.
 */
export function reportVsNnlab(
  folder: RunFolder,
  preset: 'quick' | 'full',
  question: string,
  claims: Claim[],
  quickLeavesOut: string,
): void {
  const t: TableData = {
    title: `${question} (${preset === 'quick' ? `QUICK preset: ${quickLeavesOut}` : 'full preset: the report setting'})`,
    columns: ['quantity', 'report says', 'nnlab gets'],
    rows: claims.map((c) => [c.quantity, c.report, c.nnlab]),
  };
  folder.table('report_vs_nnlab', t);
  // report.html lists tables and figures in the order they were added; this one opens the page.
  folder.tables.unshift(folder.tables.pop()!);
  folder.figures.unshift(folder.figures.pop()!);
}

export const pct = (v: number, digits = 1) => `${(100 * v).toFixed(digits)}%`;
