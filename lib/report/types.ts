// What a run folder records: its figures, tables and the summary the command prints.
import type { TableData } from '../viz/table.js';

export interface FigureEntry {
  name: string;
  title: string;
  caption: string;
  svg: string;
  png: string;
}

export interface TableEntry {
  name: string;
  table: TableData;
}

/** What summary.json holds and the command prints: the headline numbers first. */
export interface StudySummary {
  study: string;
  out: string;
  seconds: number;
  headline: Record<string, number | string>;
  [extra: string]: unknown;
}
