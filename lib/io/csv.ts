// CSV writing for metrics and tables (RFC 4180 quoting).
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { IOError } from '../core/errors.js';
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

/**
 * Parses RFC 4180 CSV (what toCsv writes: quoted cells with doubled quotes, \n or \r\n rows) into
 * rows of strings. An unterminated quote or a stray quote inside an unquoted cell is an IOError
 * naming `source` and the line.
 */
export function parseCsv(text: string, source = 'CSV'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [],
    cellText = '',
    i = 0,
    line = 1,
    quoted = false,
    started = false;
  const endCell = () => {
    row.push(cellText);
    cellText = '';
    quoted = false;
    started = false;
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cellText += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r')
          throw new IOError(`${source}: line ${line}: unexpected '${text[i]}' after a closing quote`);
        continue;
      }
      if (ch === '\n') line++;
      cellText += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      if (started || cellText !== '') throw new IOError(`${source}: line ${line}: a quote inside an unquoted cell`);
      quoted = true;
      started = true;
      i++;
    } else if (ch === ',') {
      endCell();
      i++;
    } else if (ch === '\n' || ch === '\r') {
      endCell();
      rows.push(row);
      row = [];
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
    } else {
      cellText += ch;
      started = true;
      i++;
    }
  }
  if (quoted) throw new IOError(`${source}: line ${line}: a quoted cell is not closed before the end`);
  if (started || row.length) {
    endCell();
    rows.push(row);
  }
  return rows;
}
