// CSV writing for metrics and tables (RFC 4180 quoting).
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { writeFileAtomic } from './atomic.js';

export type Cell = string | number | boolean | null | undefined;

function cell(v: Cell): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : String(+v.toPrecision(7))) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

export function writeCsv(path: string, header: string[], rows: Cell[][]): void {
  writeFileAtomic(path, [toCsv(header, rows)]);
}

/** Appends one row, writing the header first when the file is new. */
export function appendCsvRow(path: string, header: string[], row: Cell[]): void {
  mkdirSync(dirname(path), { recursive: true });
  if (!existsSync(path)) appendFileSync(path, header.map(cell).join(',') + '\n');
  appendFileSync(path, row.map(cell).join(',') + '\n');
}
