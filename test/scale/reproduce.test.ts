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

  // CI builds one site of the quick presets before the tests (.ci/run, NNLAB_QUICK_SITE); the study
  // tests read their run folders from it (test/studies/quick-run.ts). Here: the site itself.
  const site = process.env.NNLAB_QUICK_SITE;
  if (site)
    it('the quick site of CI: every study in it finished, its report is linked; resnet-pretrain ran its chained units', () => {
      const plan = JSON.parse(readFileSync(join(site, 'scale', 'plan.json'), 'utf8'));
      const studies = Object.keys(plan.config.studies);
      expect(studies.length).toBeGreaterThan(1);
      const html = readFileSync(join(site, 'index.html'), 'utf8');
      for (const id of studies) {
        expect(existsSync(join(site, id, 'summary.json')), id).toBe(true);
        expect(html).toContain(`href="${id}/report.html"`);
      }
      expect(html).not.toContain('the study did not finish');
      const pretrained = plan.units.find((u: { id: string }) => u.id === 'resnet-pretrain--pretrained');
      if (pretrained) expect(pretrained.after).toEqual(['resnet-pretrain--pretrain-fashion']);
      expect(existsSync(join(site, 'scale', 'reduce.done'))).toBe(true);
    });
});
