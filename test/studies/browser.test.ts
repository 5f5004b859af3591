// report.html in a real headless browser (Debian's chromium driven by playwright-core): every
// figure loads and the page logs no error. The report is a run folder holding every figure kind.
import { describe, expect, it } from 'vitest';

import { RunFolder } from '../../lib/report/run-folder.js';
import { checkReportInBrowser, tmp } from './helpers.js';
import { SAMPLE_FIGURES } from './sample-figures.js';

describe('report.html in headless chromium', () => {
  it('every figure loads (naturalWidth > 0) and the page logs no error', async () => {
    const folder = new RunFolder('browser-check', tmp('browser'));
    folder.writeConfig({ seed: 0, note: 'synthetic figures of every kind' }, 'cpu');
    for (const [name, svg] of Object.entries(SAMPLE_FIGURES)) folder.figure(name, `figure ${name}`, svg, 'caption');
    folder.table('table_html', { title: 'a table', columns: ['a', 'b'], rows: [['x', 1]] });
    folder.finish({ accuracy: 0.99 });

    await checkReportInBrowser(
      folder.dir,
      folder.figures.map((f) => f.svg),
    );
  });
});
