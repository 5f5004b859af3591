// report.html of a run: a self-contained page (no scripts, no external resources) with the
// headline table, the tables, every figure (SVG, linked to its PNG) and the full config.
import { esc } from '../viz/svg.js';
import { tableHtml } from '../viz/table.js';
import type { FigureEntry, StudySummary, TableEntry } from './types.js';

const CSS = `body{font-family:DejaVu Sans,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 10px}th{background:#eef2f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}caption{font-weight:bold;text-align:left;padding:4px 0}
figure{margin:2em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{color:#555}
pre{background:#f6f6f6;padding:1em;overflow:auto}`;

const fmt = (v: number | string) => (typeof v === 'number' ? String(+v.toPrecision(6)) : v);

export function reportHtml(r: {
  study: string;
  config: object;
  summary: StudySummary;
  figures: FigureEntry[];
  tables: TableEntry[];
}): string {
  const headline = `<table><thead><tr><th>quantity</th><th>value</th></tr></thead><tbody>${Object.entries(r.summary.headline)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${esc(fmt(v))}</td></tr>`)
    .join('')}</tbody></table>`;
  const figures = r.figures
    .map(
      (f) => `<figure id="${esc(f.name)}"><img src="${esc(f.svg)}" alt="${esc(f.title)}">
<figcaption><b>${esc(f.title)}</b>${f.caption ? ' — ' + esc(f.caption) : ''} (<a href="${esc(f.png)}">PNG</a>, <a href="${esc(f.svg)}">SVG</a>)</figcaption></figure>`,
    )
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nnlab run ${esc(r.study)}</title><style>${CSS}</style></head>
<body>
<h1>nnlab run ${esc(r.study)}</h1>
<p>Run folder <code>${esc(r.summary.out)}</code>, ${r.summary.seconds.toFixed(1)} s.</p>
<h2>Headline</h2>
${headline}
${r.tables.length ? '<h2>Tables</h2>\n' + r.tables.map((t) => tableHtml(t.table)).join('\n') : ''}
<h2>Figures</h2>
${figures}
<h2>Configuration</h2>
<pre>${esc(JSON.stringify(r.config, null, 2))}</pre>
</body></html>
`;
}
