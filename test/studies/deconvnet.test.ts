// `nnlab run deconvnet --quick`: layer-1 filters, top-9 images and their deconvnet projections for
// layers 1..3, and the paper's claim that projections grow with depth within the receptive field.
import { describe, expect, it } from 'vitest';

import { checkRunFolder, runQuick } from './helpers.js';

describe('nnlab run deconvnet', () => {
  it('quick preset: projections fill the receptive field of each layer and grow with depth', { timeout: 600_000 }, () => {
    const { out, h } = runQuick('deconvnet');
    console.log(
      `deconvnet quick: accuracy ${(100 * h.test_accuracy).toFixed(2)}%, extents ${h.layer1_extent}/${h.layer2_extent}/${h.layer3_extent}, purity ${h.layer1_purity}/${h.layer2_purity}/${h.layer3_purity}`,
    );
    expect(h.test_accuracy).toBeGreaterThanOrEqual(0.9);
    // A single activation's projection lies within its receptive field (3, 8, 18 px)...
    expect(h.layer1_extent).toBeLessThanOrEqual(3);
    expect(h.layer2_extent).toBeLessThanOrEqual(8);
    expect(h.layer3_extent).toBeLessThanOrEqual(18);
    // ...and grows with depth.
    expect(h.layer2_extent).toBeGreaterThan(h.layer1_extent);
    expect(h.layer3_extent).toBeGreaterThan(h.layer2_extent + 4);
    for (const l of [1, 2, 3]) expect(h[`layer${l}_purity`]).toBeGreaterThan(0.1);
    checkRunFolder(out, [
      'layer1_filters',
      'layer1_top9',
      'layer2_top9',
      'layer3_top9',
      'deconvnet_vs_guided',
      'layers',
      'report_vs_nnlab',
    ]);
  });
});
