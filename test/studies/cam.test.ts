// `nnlab run cam --quick`: the four maps, the report's sweeps and the faithfulness of each method,
// on the GAP seed CNN and on a ResNet18 trained in the run, run as a user runs it; and --weights
// files that are not the study's ResNet18 refused with the file named.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { io, nn, RandomGenerator, seedCnn } from '../../lib/index.js';
import { nnlab } from '../support/cli.js';
import { checkRunFolder, runQuick, tmp } from './helpers.js';

const METHODS = ['CAM', 'Grad-CAM', 'Grad-CAM++', 'Score-CAM'];

describe('nnlab run cam', () => {
  it('quick preset: faithfulness against a random map, the brightness sweep, one digit vs another class', { timeout: 900_000 }, () => {
    const { out, h } = runQuick('cam');
    console.log(
      `cam quick: accuracy ${(100 * h.mnist_test_accuracy).toFixed(2)}%; deletion AUC ${METHODS.map((m) => `${m} ${h[`mnist_${m}_deletion_auc`].toFixed(3)}`).join(', ')}, random ${h.mnist_random_deletion_auc.toFixed(3)}`,
    );
    expect(h.mnist_test_accuracy).toBeGreaterThanOrEqual(0.8);
    // Score-CAM ranks pixels better than chance both ways; the gradient maps help insertion. (Deletion to
    // black on MNIST cannot credit maps that mark the dark ground around strokes: docs/studies/explain.md.)
    expect(h['mnist_Score-CAM_deletion_auc']).toBeLessThan(h.mnist_random_deletion_auc);
    expect(h['mnist_Score-CAM_insertion_auc']).toBeGreaterThan(h.mnist_random_insertion_auc + 0.1);
    for (const m of ['Grad-CAM', 'Grad-CAM++']) expect(h[`mnist_${m}_insertion_auc`], m).toBeGreaterThan(h.mnist_random_insertion_auc);
    // The report's brightness sweep: the score collapses at the extremes and recovers in between.
    expect(h.mnist_brightness_min_score).toBeLessThan(0.2);
    expect(h.mnist_brightness_max_score).toBeGreaterThan(0.7);
    // One digit of the class scores high, another class's digit low (the report's 99.92% / 0.00%).
    expect(h.mnist_score_one).toBeGreaterThan(0.5);
    expect(h.mnist_score_none).toBeLessThan(0.2);

    // ResNet18: a tiny training budget, but well above chance (10%), so its maps explain a working model.
    console.log(
      `cam quick ResNet18: accuracy ${(100 * h.mnist_resnet18_test_accuracy).toFixed(2)}%; deletion / insertion AUC ${[...METHODS, 'random'].map((m) => `${m} ${h[`mnist_resnet18_${m}_deletion_auc`].toFixed(3)} / ${h[`mnist_resnet18_${m}_insertion_auc`].toFixed(3)}`).join(', ')}`,
    );
    expect(h.mnist_resnet18_test_accuracy).toBeGreaterThan(0.6);
    for (const m of [...METHODS, 'random'])
      for (const kind of ['deletion', 'insertion']) {
        const auc = h[`mnist_resnet18_${m}_${kind}_auc`];
        expect(auc, `${m} ${kind}`).toBeGreaterThanOrEqual(0);
        expect(auc, `${m} ${kind}`).toBeLessThanOrEqual(1);
      }
    // Score-CAM's ranking removes the evidence faster than a random one (0.54 vs 0.74 here).
    expect(h['mnist_resnet18_Score-CAM_deletion_auc']).toBeLessThan(h.mnist_resnet18_random_deletion_auc);
    // Every true-class map is finite and not one constant (a 1x1 last stage would make them constant).
    for (const m of METHODS) {
      const range = h[`mnist_resnet18_${m}_map_min_range`];
      expect(Number.isFinite(range), `${m} map finite`).toBe(true);
      expect(range, `${m} map range`).toBeGreaterThan(1e-6);
    }
    expect(h.mnist_resnet18_brightness_min_score).toBeLessThan(h.mnist_resnet18_brightness_max_score);
    const table = readFileSync(join(out, 'mnist_resnet18_faithfulness.svg'), 'utf8');
    for (const m of [...METHODS, 'random']) expect(table, `AUC row ${m}`).toContain(`>${m}</text>`);
    const report = readFileSync(join(out, 'report_vs_nnlab.svg'), 'utf8');
    expect(report).toContain('ResNet18: test accuracy');
    expect(existsSync(join(out, 'resnet18', 'resnet18.safetensors'))).toBe(true);
    expect(existsSync(join(out, 'resnet18', 'metrics.csv'))).toBe(true);
    checkRunFolder(out, [
      'mnist_maps',
      'mnist_sweeps',
      'mnist_sweep_images',
      'mnist_one_several_none',
      'mnist_deletion',
      'mnist_insertion',
      'mnist_faithfulness',
      'mnist_resnet18_maps',
      'mnist_resnet18_sweeps',
      'mnist_resnet18_sweep_images',
      'mnist_resnet18_one_several_none',
      'mnist_resnet18_deletion',
      'mnist_resnet18_insertion',
      'mnist_resnet18_faithfulness',
      'report_vs_nnlab',
    ]);
  });

  it('--weights: a missing file or one that is not the ResNet18 is refused, naming the file', { timeout: 120_000 }, () => {
    const dir = tmp('cam-weights');
    const missing = join(dir, 'nope.safetensors');
    let r = nnlab(['run', 'cam', '--quick', '--out', join(dir, 'a'), '--weights', missing]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`--weights file not found: ${missing}`);
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'not a safetensors file');
    r = nnlab(['run', 'cam', '--quick', '--out', join(dir, 'b'), '--weights', junk]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`--weights ${junk} is not a readable safetensors file`);
    // torchvision's own ResNet18 (7x7 stride-2 conv1 on 3 channels, 1000 classes): the right names, the wrong shapes.
    const tv = join(dir, 'torchvision.safetensors');
    const model = new nn.ResNet18({ generator: new RandomGenerator(0) });
    io.saveSafetensors(tv, model.stateDict());
    model.dispose();
    r = nnlab(['run', 'cam', '--quick', '--out', join(dir, 'c'), '--weights', tv]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`--weights ${tv}: 'conv1.weight' has shape [64, 3, 7, 7]`);
    // The seed CNN's weights: not a ResNet18 at all.
    const cnn = join(dir, 'cnn.safetensors');
    const small = seedCnn(new RandomGenerator(0));
    io.saveSafetensors(cnn, small.stateDict());
    small.dispose();
    r = nnlab(['run', 'cam', '--quick', '--out', join(dir, 'd'), '--weights', cnn]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`--weights ${cnn} is not a ResNet18 state dict with torchvision names: missing keys \\[conv1.weight, bn1.weight`),
    );
  });
});
