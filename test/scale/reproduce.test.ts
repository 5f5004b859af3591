// `nnlab reproduce --quick --only ...`: a study with units (ensemble-noise: its members first, its
// reduce step after) and a one-process study (linreg) in one graph, then index.html linking both
// reports with their "report says / nnlab gets" tables and figures.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { nnlab } from '../support/cli.js';
import { tmp } from '../studies/helpers.js';

describe('nnlab reproduce', () => {
  it('builds every selected study as one graph and links the reports from index.html', { timeout: 240_000 }, () => {
    const out = join(tmp('reproduce'), 'site');
    const env = { NNLAB_CACHE_DIR: join(out, '.cache') };
    const r = nnlab(['reproduce', '--quick', '--only', 'linreg,ensemble-noise', '--out', out, '--jobs', '2'], env);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(readFileSync(join(out, 'scale', 'plan.json'), 'utf8'));
    expect(plan.units.map((u: { id: string }) => u.id)).toEqual([
      'linreg',
      'ensemble-noise--member-0',
      'ensemble-noise--member-1',
      'ensemble-noise--member-2',
    ]);
    for (const id of ['linreg', 'ensemble-noise']) expect(existsSync(join(out, id, 'report.html')), id).toBe(true);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('href="linreg/report.html"');
    expect(html).toContain('href="ensemble-noise/report.html"');
    expect(html).toContain('report says');
    expect(html).toContain('src="ensemble-noise/accuracy_vs_sigma.svg"');
    expect(r.stdout).toMatch(/reports: 2/);
  });
});
