// The static site of `nnlab reproduce`: one index.html linking every study's report.html, with
// each study's headline, its "report says / nnlab gets" table(s) and its figures, read from the
// study folders' summary.json and report.json (relative links: the folder can be copied anywhere).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { esc } from '../viz/svg.js';
import { tableHtml } from '../viz/table.js';
import type { FigureEntry, StudySummary, TableEntry } from './types.js';

export interface SiteEntry {
  id: string;
  description: string;
  /** The study's run folder. */
  dir: string;
}

const CSS = `body{font-family:DejaVu Sans,Arial,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px}th{background:#eef2f7}
td.num{text-align:right}caption{font-weight:bold;text-align:left;padding:4px 0}
.figs{display:flex;flex-wrap:wrap;gap:8px}.figs a img{height:160px;border:1px solid #eee}section{border-top:2px solid #ccd;margin-top:2em}
.missing{color:#a00}`;

const fmt = (v: number | string) => (typeof v === 'number' ? String(+v.toPrecision(6)) : v);

function section(root: string, e: SiteEntry): string {
  const rel = (p: string) => relative(root, join(e.dir, p));
  const summaryPath = join(e.dir, 'summary.json');
  if (!existsSync(summaryPath))
    return `<section id="${esc(e.id)}"><h2>${esc(e.id)}</h2><p class="missing">no report: the study did not finish</p></section>`;
  const s = JSON.parse(readFileSync(summaryPath, 'utf8')) as StudySummary;
  const r = existsSync(join(e.dir, 'report.json'))
    ? (JSON.parse(readFileSync(join(e.dir, 'report.json'), 'utf8')) as { figures: FigureEntry[]; tables: TableEntry[] })
    : { figures: [], tables: [] };
  const says = r.tables.filter((t) => t.table.columns.some((c) => /report says/i.test(String(c))));
  const headline = `<table><tbody>${Object.entries(s.headline)
    .slice(0, 12)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${esc(fmt(v))}</td></tr>`)
    .join('')}</tbody></table>`;
  const figs = r.figures
    .map((f) => `<a href="${esc(rel(f.svg))}" title="${esc(f.title)}"><img src="${esc(rel(f.svg))}" alt="${esc(f.title)}"></a>`)
    .join('');
  return `<section id="${esc(e.id)}"><h2><a href="${esc(rel('report.html'))}">${esc(e.id)}</a></h2>
<p>${esc(e.description)} (${s.seconds.toFixed(1)} s)</p>
${says.map((t) => tableHtml(t.table)).join('\n')}
<details><summary>headline</summary>${headline}</details>
<div class="figs">${figs}</div></section>`;
}

/** Writes <root>/index.html over the studies' folders; returns its path. */
export function writeSite(root: string, entries: SiteEntry[], title: string): string {
  const toc = entries.map((e) => `<li><a href="#${esc(e.id)}">${esc(e.id)}</a>: ${esc(e.description)}</li>`).join('');
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1>
<p>Generated ${esc(new Date().toISOString())}. Each heading links the study's full report.</p>
<ul>${toc}</ul>
${entries.map((e) => section(root, e)).join('\n')}
</body></html>
`;
  const path = join(root, 'index.html');
  writeFileSync(path, html);
  return path;
}
