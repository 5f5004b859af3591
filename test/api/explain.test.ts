// lib/explain against references: Grad-CAM and Grad-CAM++ against PyTorch hooks (fixture made by
// scripts/fixtures/explain_cam.py), occlusion against a naive one-image-at-a-time loop, CAM
// against Grad-CAM on a GAP head, projections against their closed forms, hooks that leave values
// and gradients unchanged, and the errors of bad input.
import { describe, expect, it } from 'vitest';

import {
  ArgumentError,
  backward,
  explain,
  RandomGenerator,
  io,
  nn,
  noGrad,
  ops,
  seedCnn,
  ShapeError,
  tensor,
  tidy,
} from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { gradcheck } from '../support/gradcheck.js';
import { expectClose } from '../support/native.js';

const FIXTURE = 'test/fixtures/explain_cam.safetensors';

/** Within 1e-4 relative to the array's scale (max |expected|). */
function expectRel(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string) {
  const scale = Array.from(expected).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expect(scale, label).toBeGreaterThan(0);
  expectClose(actual, expected, 1e-4, 1e-4 * scale, label);
}

function fixtureModel() {
  const { tensors: fx } = io.loadSafetensors(FIXTURE);
  const model = seedCnn();
  model.loadStateDict(new Map([...fx].filter(([k]) => k.startsWith('init.')).map(([k, v]) => [k.slice(5), v])));
  return { model, fx };
}

const randomImages = (n: number, c: number, h: number, w: number, seed: number) =>
  ops.normal([n, c, h, w], 0, 1, { generator: new RandomGenerator(seed) });

describe('Grad-CAM parity with PyTorch hooks', () => {
  const { model, fx } = fixtureModel();
  const x = fx.get('x')!,
    targets = Array.from(fx.get('targets')!.data());

  it('Grad-CAM raw and resized maps match to 1e-4 relative', () => {
    const m = explain.gradCam(model, x, { layer: '4', target: targets });
    expect([m.n, m.h, m.w, m.height, m.width]).toEqual([16, 11, 11, 28, 28]);
    expect(Array.from(m.targets)).toEqual(targets);
    expectRel(m.raw, fx.get('gradcam.raw')!.data(), 'gradcam raw');
    expectRel(m.maps, fx.get('gradcam.maps')!.data(), 'gradcam maps');
    const logits = fx.get('logits')!.data();
    expectRel(
      m.scores,
      targets.map((t, i) => logits[i * 10 + t]),
      'target logits',
    );
  });

  it('Grad-CAM++ raw and resized maps match to 1e-4 relative', () => {
    const m = explain.gradCamPlusPlus(model, x, { layer: '4', target: targets, batchSize: 5 });
    expectRel(m.raw, fx.get('gradcampp.raw')!.data(), 'gradcam++ raw');
    expectRel(m.maps, fx.get('gradcampp.maps')!.data(), 'gradcam++ maps');
  });

  it('leaves the model as it was: training mode, parameter gradients, no hooks', () => {
    model.train();
    explain.gradCam(model, x, { layer: '4' });
    expect(model.training).toBe(true);
    expect(model.parameters().every((p) => p.requiresGrad && p.grad === null)).toBe(true);
    expect(model.namedModules().every(([, m]) => m.hooks === null)).toBe(true);
  });
});

describe('hooks', () => {
  it('a forward hook sees the module output; hooks change neither logits nor gradients', () => {
    const model = seedCnn(new RandomGenerator(3));
    const x = randomImages(4, 1, 28, 28, 4);
    const plain = tidy(() => noGrad(() => model.call(x)).data());
    let seen: number[] = [];
    const h = explain.registerForwardHook(model, '4', (out) => void (seen = out.shape.slice()));
    const hooked = tidy(() => noGrad(() => model.call(x)).data());
    h.remove();
    expect(seen).toEqual([4, 64, 11, 11]);
    expect(Array.from(hooked)).toEqual(Array.from(plain));
  });

  it('the full backward hook gives the gradients at the module output and input', () => {
    const model = seedCnn(new RandomGenerator(5));
    const x = randomImages(3, 1, 28, 28, 6);
    const got: { gin: Float32Array | null; gout: Float32Array }[] = [];
    const hb = explain.registerFullBackwardHook(model, '3', (gin, gout) =>
      got.push({ gin: gin && (gin.data() as Float32Array), gout: gout.data() as Float32Array }),
    );
    // Reference: the same gradients by splitting the network at the hooked conv.
    const ref = tidy(() => {
      const before = new nn.Sequential(...model.layers.slice(0, 3)),
        after = new nn.Sequential(...model.layers.slice(4));
      const a = ops.detach(noGrad(() => before.forward(x))).requiresGrad_(true);
      const conv = model.layers[3];
      const out = ops.detach(conv.forward(a)).requiresGrad_(true);
      const y = ops.sum(after.forward(out));
      backward(y);
      const gout = out.grad!.data() as Float32Array;
      backward(ops.sum(ops.mul(conv.forward(a), ops.tensor(gout, out.shape.slice()))));
      return { gin: a.grad!.data() as Float32Array, gout };
    });
    tidy(() => {
      const xin = ops.detach(x).requiresGrad_(true);
      backward(ops.sum(model.call(xin)));
    });
    hb.remove();
    model.zeroGrad();
    expect(got.length).toBe(1);
    expectClose(got[0].gout, ref.gout, 1e-5, 1e-6, 'grad output');
    expectClose(got[0].gin!, ref.gin, 1e-4, 1e-5, 'grad input');
  });

  it('gradients through a hooked network pass the finite-difference check', () => {
    const model = new nn.Sequential(
      new nn.Conv2d(1, 2, 3, { generator: new RandomGenerator(7) }),
      new nn.Tanh(),
      new nn.Flatten(),
      new nn.Linear(8, 1, { generator: new RandomGenerator(8) }),
    );
    const handles = [explain.registerFullBackwardHook(model, '1', () => {}), explain.registerForwardHook(model, '0', () => {})];
    const data = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i + 1));
    gradcheck(([x]) => ops.sum(model.call(x)), [{ data, shape: [1, 1, 4, 4] }], { label: 'hooked conv-tanh-linear' });
    explain.removeAll(handles);
  });

  it('an unknown module name is an ArgumentError listing the names', () => {
    const model = seedCnn();
    expect(() => explain.registerForwardHook(model, 'conv9', () => {})).toThrow(ArgumentError);
    expect(() => explain.registerForwardHook(model, 'conv9', () => {})).toThrow(/no module named 'conv9'.*0, 1, 2/);
    expect(() => explain.gradCam(model, ops.zeros([2, 28, 28]), { layer: '4' })).toThrow(ShapeError);
    expect(() => explain.gradCam(model, ops.zeros([2, 1, 28, 28]), { layer: '4', target: 12 })).toThrow(/target class 12/);
  });
});

describe('CAM and Score-CAM', () => {
  // A GAP head: Grad-CAM's weights are then the Linear's row / (h*w), so relu(CAM) / (h*w) is Grad-CAM.
  const gap = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { generator: new RandomGenerator(9) }),
    new nn.ReLU(),
    new nn.Conv2d(8, 16, 3, { generator: new RandomGenerator(10) }),
    new nn.ReLU(),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(16, 10, { generator: new RandomGenerator(11) }),
  );
  const x = randomImages(5, 1, 12, 12, 12);

  it('CAM equals Grad-CAM times h*w on a global-average-pooled head', () => {
    const c = explain.cam(gap, x, { layer: '3', fc: '6', target: 2 });
    const g = explain.gradCam(gap, x, { layer: '3', target: 2 });
    expectClose(
      g.raw,
      Array.from(c.raw, (v) => Math.max(v, 0) / 64),
      1e-4,
      1e-6,
      'cam vs grad-cam',
    );
    expect(() => explain.cam(gap, x, { layer: '3', fc: '4' })).toThrow(/expected the Linear/);
  });

  it('Score-CAM weights are the target probabilities of the masked inputs', () => {
    const s = explain.scoreCam(gap, x, { layer: '3', target: 4 });
    expect(s.raw.every((v) => v >= 0)).toBe(true);
    expect(s.maps.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(Math.max(...s.maps)).toBe(1);
  });

  it('Score-CAM for several target sets from one set of masked passes equals one call per set', () => {
    const wrong = Array.from({ length: x.shape[0] }, (_, i) => (i + 3) % 10);
    const sets = explain.scoreCamTargets(gap, x, { layer: '3', targets: [4, wrong, undefined] });
    const each = [4, wrong, undefined].map((target) => explain.scoreCam(gap, x, { layer: '3', target }));
    expect(sets.length).toBe(3);
    sets.forEach((s, j) => {
      expect(Array.from(s.targets), `set ${j}`).toEqual(Array.from(each[j].targets));
      expect(Array.from(s.raw), `set ${j}`).toEqual(Array.from(each[j].raw));
      expect(Array.from(s.maps), `set ${j}`).toEqual(Array.from(each[j].maps));
    });
    // The wrong class's maps differ from class 4's: the weights follow the target.
    expect(Array.from(sets[1].raw)).not.toEqual(Array.from(sets[0].raw));
    expect(() => explain.scoreCamTargets(gap, x, { layer: '3', targets: [] })).toThrow(/at least one set/);
  });
});

describe('memory of repeated explanation passes', () => {
  // ResNet18's layer4 in small: a 512 -> 512 3x3 convolution on 2x2 maps. Batches of 29 images
  // (the 28 + 1 points of a deletion curve) take a conv algorithm that packs the weights on each
  // call; those 9.4 MB packings once stayed resident, ~27 MB per ResNet18 forward pass, and the
  // cam study's full preset was OOM-killed at 23.5 GB. A tidy()-scoped pass must leave nothing.
  const g = new RandomGenerator(21);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 512, 14, { stride: 14, generator: g }),
    new nn.ReLU(),
    new nn.Conv2d(512, 512, 3, { padding: 1, generator: g }),
    new nn.ReLU(),
    new nn.AdaptiveAvgPool2d(1),
    new nn.Flatten(),
    new nn.Linear(512, 10, { generator: g }),
  );
  const x = randomImages(4, 1, 28, 28, 22);
  const targets = [0, 1, 2, 3];
  const maps = new Float32Array(4 * 784).map((_, i) => Math.sin(i));
  const round = () => {
    explain.scoreCam(model, ops.slice(x, 0, 0, 1), { layer: '3', target: 1, batchSize: 29 });
    explain.deletionInsertion(model, x, maps, targets, { steps: 28 });
  };

  it('resident memory stays flat over Score-CAM and deletion / insertion passes at batch 29', () => {
    round(); // warm-up: the arena and the allocator's caches reach their working size
    const before = process.memoryUsage().rss;
    for (let r = 0; r < 3; r++) round();
    const grownMiB = (process.memoryUsage().rss - before) / 2 ** 20;
    // 3 rounds are 3 x (18 + 8) forward passes: 570 MiB with the leak, a few MiB without.
    expect(grownMiB).toBeLessThan(64);
  });
});

describe('occlusion', () => {
  const model = seedCnn(new RandomGenerator(13));
  const x = randomImages(1, 1, 28, 28, 14);

  /** The naive loop: one occluded image built and classified at a time. */
  function naive(size: number, stride: number, fill: number, target: number) {
    const img = x.data() as Float32Array,
      rows = Math.floor(27 / stride) + 1,
      prob: number[] = [];
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < rows; c++) {
        const o = Float32Array.from(img);
        for (let i = r * stride - Math.floor(size / 2); i < r * stride - Math.floor(size / 2) + size; i++)
          for (let j = c * stride - Math.floor(size / 2); j < c * stride - Math.floor(size / 2) + size; j++)
            if (i >= 0 && i < 28 && j >= 0 && j < 28) o[i * 28 + j] = fill;
        prob.push(tidy(() => noGrad(() => ops.softmax(model.call(tensor(o, [1, 1, 28, 28])), 1)).data()[target]));
      }
    return prob;
  }

  it('equals a naive one-image-at-a-time loop exactly (stride 1 and 3, batches of 256 and 7)', () => {
    for (const [size, stride, batchSize] of [
      [5, 1, 256],
      [8, 3, 7],
    ]) {
      const m = explain.occlusion(model, x, { size, stride, fill: -0.42, batchSize, layer: '4' });
      expect(m.rows * m.cols).toBe((Math.floor(27 / stride) + 1) ** 2);
      expect(Array.from(m.prob)).toEqual(naive(size, stride, -0.42, m.target).map(Math.fround));
      expect(m.channel).not.toBeNull();
      expect(m.activation!.length).toBe(m.prob.length);
    }
  });

  it('rejects a batch of images and a bad square', () => {
    expect(() => explain.occlusion(model, randomImages(2, 1, 28, 28, 1), { size: 4 })).toThrow(/one image/);
    expect(() => explain.occlusion(model, x, { size: 0 })).toThrow(ArgumentError);
  });
});

describe('projections to pixel space', () => {
  const conv = new nn.Conv2d(1, 2, 3, { generator: new RandomGenerator(15), bias: false });
  const net = new nn.Sequential(conv, new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten());
  const x = randomImages(2, 1, 8, 8, 16);

  it('a first-layer activation projects to its filter, placed at the activation, times the activation', () => {
    const p = explain.deconvnet(net, x, { layer: '1', channel: 1 });
    const W = conv.weight.data();
    const acts = tidy(() => noGrad(() => ops.relu(conv.forward(x))).data());
    for (let i = 0; i < 2; i++) {
      let at = 0;
      for (let j = 1; j < 36; j++) if (acts[(i * 2 + 1) * 36 + j] > acts[(i * 2 + 1) * 36 + at]) at = j;
      const expected = new Float32Array(64),
        a = acts[(i * 2 + 1) * 36 + at];
      expect(p.activations[i]).toBe(a);
      const r0 = Math.floor(at / 6),
        c0 = at % 6;
      for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) expected[(r0 + u) * 8 + c0 + v] = a * W[9 + u * 3 + v];
      expectClose(p.images.subarray(i * 64, (i + 1) * 64), expected, 1e-6, 1e-7, `image ${i}`);
    }
  });

  it("the 'gradient' rule is the plain input gradient; deconvnet and guided differ from it after a ReLU", () => {
    const deep = seedCnn(new RandomGenerator(17));
    const xs = randomImages(3, 1, 28, 28, 18);
    const grad = explain.project(deep, xs, { layer: '4', rule: 'gradient' });
    const seedOf = (a: Tensor) => {
      const d = a.data(),
        s = new Float32Array(d.length),
        size = 121;
      for (let i = 0; i < 3; i++) {
        const base = (i * 64 + grad.channels[i]) * size;
        let at = 0;
        for (let j = 1; j < size; j++) if (d[base + j] > d[base + at]) at = j;
        s[base + at] = d[base + at];
      }
      return s;
    };
    const ref = tidy(() => {
      const xin = ops.detach(xs).requiresGrad_(true);
      const a = new nn.Sequential(...deep.layers.slice(0, 5)).forward(xin);
      backward(a, tensor(seedOf(a), a.shape.slice()));
      return xin.grad!.data();
    });
    deep.zeroGrad();
    expectClose(grad.images, ref, 1e-4, 1e-6, 'gradient rule');
    const dec = explain.deconvnet(deep, xs, { layer: '4' }),
      gb = explain.guidedBackprop(deep, xs, { layer: '4' });
    expect(Array.from(dec.channels)).toEqual(Array.from(grad.channels));
    expect(Array.from(dec.images)).not.toEqual(Array.from(grad.images));
    expect(Array.from(gb.images)).not.toEqual(Array.from(dec.images));
  });
});

describe('overlays', () => {
  it('colours, blending and PNG bytes', () => {
    expect(explain.colorOf(0)).toEqual([0, 0, 128]);
    expect(explain.colorOf(1)).toEqual([128, 0, 0]);
    expect(explain.colorOf(2, 'grey')).toEqual([255, 255, 255]);
    const rgb = explain.overlayRgb([0, 1, 0, 1], [0, 0, 1, 1], 2, 2, { alpha: 0.5 });
    expect(Array.from(rgb.subarray(0, 3))).toEqual([0, 0, 64]);
    expect(Array.from(rgb.subarray(9, 12))).toEqual([192, 128, 128]);
    const png = explain.overlayPng([0, 1, 0, 1], [0, 0, 1, 1], 2, 2, { scale: 3 });
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(6);
    expect(() => explain.overlayRgb([0, 1], [0, 0, 1, 1], 2, 2)).toThrow(/image has 2 values/);
  });
});
