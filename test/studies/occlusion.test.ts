// `nnlab run occlusion --quick`: the seed-004 occlusion maps and their conclusions, run as a user runs it.
import { describe, expect, it } from 'vitest';

import { checkRunFolder, runQuick } from './helpers.js';

describe('nnlab run occlusion', () => {
  it('quick preset: covering the digit lowers p(correct), more on ink than off it', { timeout: 600_000 }, () => {
    const { out, h } = runQuick('occlusion');
    console.log(
      `occlusion quick: p ${h.mean_p_unoccluded.toFixed(3)} -> ${h.mean_min_p.toFixed(3)}, drop on/off ink ${h.mean_drop_on_ink.toFixed(4)}/${h.mean_drop_off_ink.toFixed(4)}, ${h.ms_per_map_median.toFixed(0)} ms per map`,
    );
    expect(h.test_accuracy).toBeGreaterThanOrEqual(0.93);
    expect(h.images).toBe(10);
    expect(h.mean_p_unoccluded).toBeGreaterThan(0.9);
    // The paper's figure 7: the correct class's probability falls when the object is covered.
    expect(h.mean_min_p).toBeLessThan(h.mean_p_unoccluded - 0.2);
    expect(h.prediction_flipped_fraction).toBeGreaterThan(0);
    // The sensitivity sits on the digit's strokes.
    expect(h.mean_drop_on_ink).toBeGreaterThan(h.mean_drop_off_ink);
    // The tracked feature map loses activation somewhere.
    expect(h.mean_min_activation_ratio).toBeLessThan(1);
    checkRunFolder(out, ['occlusion_maps', 'per_image', 'report_vs_nnlab']);
  });
});
