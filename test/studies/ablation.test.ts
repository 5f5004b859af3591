// `nnlab run ablation --quick`: six variants, parameter counts from the architectures, table and
// bar charts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildVariant, VARIANTS } from '../../lib/studies/shared/ablation-variants.js';
import { seedCnn } from '../../lib/index.js';
import { lastJson } from '../support/cli.js';
import { checkRunFolder, readCsv, Summary } from './helpers.js';
import { quickRun } from './quick-run.js';

// Counted by hand from the layer shapes (weights + biases).
const EXPECTED_PARAMETERS: Record<string, number> = {
  full: 320 + 18496 + 204928 + 1290, // 225,034 as in the report
  'no-conv2': 320 + (5408 * 128 + 128) + 1290,
  'no-pool1': 320 + 18496 + (9216 * 128 + 128) + 1290,
  dense64: 320 + 18496 + (1600 * 64 + 64) + (64 * 10 + 10),
  'fewer-filters': 160 + 4640 + (800 * 128 + 128) + 1290,
  'no-dense128': 320 + 18496 + (1600 * 10 + 10),
};

describe('nnlab run ablation', () => {
  it('variant builders have the expected parameter counts', () => {
    expect(seedCnn().numParameters()).toBe(225034);
    for (const v of VARIANTS) {
      const m = buildVariant(v.spec);
      expect(m.numParameters(), v.id).toBe(EXPECTED_PARAMETERS[v.id]);
      m.dispose();
    }
  });

  it('quick preset trains the full model and five variants and reports them', { timeout: 300_000 }, () => {
    const { out, r } = quickRun('ablation');
    expect(r.code, r.stderr).toBe(0);
    const s = lastJson<Summary & { variants: { id: string; parameters: number; test_accuracy: number }[] }>(r.stdout);
    console.log('ablation quick:', s.variants.map((v) => `${v.id} ${(100 * v.test_accuracy).toFixed(1)}%`).join(', '));
    expect(s.variants.map((v) => v.id)).toEqual(VARIANTS.map((v) => v.id));
    for (const v of s.variants) {
      expect(v.parameters, v.id).toBe(EXPECTED_PARAMETERS[v.id]);
      // One epoch on 3k images: every variant learns (chance is 10%).
      expect(v.test_accuracy, v.id).toBeGreaterThan(0.7);
    }
    checkRunFolder(out, ['ablation_table', 'ablation_accuracy', 'ablation_parameters', 'ablation_curves']);
    const metrics = readCsv(join(out, 'metrics.csv'));
    expect(new Set(metrics.map((m) => m.variant)).size).toBe(6);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    for (const v of VARIANTS) expect(html).toContain(`<td>${v.id}</td>`);
  });
});
