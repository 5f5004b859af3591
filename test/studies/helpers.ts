// Shared checks of a study's run folder (the contract of STUDIES.md).
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';

import type { StudySummary } from '../../lib/report/types.js';
import { lastJson, nnlab } from '../support/cli.js';
import { skipReason } from '../support/skips.js';
import { printedSummary, siteFolder } from './quick-run.js';

export const tmp = (name: string) => mkdtempSync(join(tmpdir(), `nnlab-study-${name}-`));

/** summary.json as the command prints it. */
export type Summary = StudySummary;

/** `nnlab run <study> --quick --json` (plus `extra` arguments) into a fresh folder, as a user runs it; a failed run fails the test. */
export function runQuick<S extends Summary = Summary>(
  study: string,
  extra: string[] = [],
): { out: string; r: ReturnType<typeof nnlab>; s: S; h: Record<string, number> } {
  // The CI site holds the plain quick preset; a run with extra flags always trains here.
  const site = extra.length === 0 ? siteFolder(study) : null;
  const out = site ?? tmp(study);
  const r = site
    ? { code: 0, stdout: printedSummary(site), stderr: '' }
    : nnlab(['run', study, '--quick', '--out', out, ...extra, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const s = lastJson<S>(r.stdout);
  return { out, r, s, h: s.headline as Record<string, number> };
}

/** Every promised file exists and report.html shows every figure (and links its PNG). */
export function checkRunFolder(dir: string, figures: string[], withMetrics = true): void {
  for (const f of ['config.json', 'summary.json', 'report.html', ...(withMetrics ? ['metrics.csv'] : [])])
    expect(existsSync(join(dir, f)), f).toBe(true);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  expect(config.seed).toBeTypeOf('number');
  expect(config.device).toMatch(/^(cpu|cuda)$/);
  expect(config.versions.nnlab).toBeTypeOf('string');
  expect(config.versions.node).toBe(process.version);
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  for (const name of figures) {
    for (const ext of ['svg', 'png']) expect(existsSync(join(dir, `${name}.${ext}`)), `${name}.${ext}`).toBe(true);
    const png = readFileSync(join(dir, `${name}.png`));
    expect(png.subarray(1, 4).toString('latin1'), `${name}.png signature`).toBe('PNG');
    expect(html).toContain(`src="${name}.svg"`);
    expect(html).toContain(`href="${name}.png"`);
  }
  // Every <img> in the report is one of the figures and exists.
  for (const m of html.matchAll(/<img src="([^"]+)"/g)) expect(existsSync(join(dir, m[1])), m[1]).toBe(true);
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
  expect(Object.keys(summary.headline).length).toBeGreaterThan(0);
}

export function readCsv(path: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}

export const CHROMIUM = '/usr/bin/chromium';

/** Opens dir/report.html in headless chromium: the expected images load, no error is logged. */
export async function checkReportInBrowser(dir: string, expectedImages: string[]): Promise<void> {
  if (skipReason(existsSync(CHROMIUM), `report.html in a browser: ${CHROMIUM} is missing (apt-get install chromium)`)) return;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`failed: ${r.url()}`));
    await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });
    const imgs = await page.$$eval('img', (els) =>
      els.map((e) => {
        const i = e as HTMLImageElement;
        return { src: i.getAttribute('src'), complete: i.complete, w: i.naturalWidth, h: i.naturalHeight };
      }),
    );
    expect(imgs.map((i) => i.src).sort()).toEqual([...expectedImages].sort());
    for (const i of imgs) {
      expect(i.complete, i.src!).toBe(true);
      expect(i.w, i.src!).toBeGreaterThan(0);
      expect(i.h, i.src!).toBeGreaterThan(0);
    }
    expect(await page.textContent('h1')).toMatch(/^nnlab run /);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}
