// Parity with PyTorch 1.13 on the seed CNN (fixture made by scripts/fixtures/torch_parity.py):
// logits, loss, every parameter gradient, one Adam step; and nnlab's checkpoint loading into the
// PyTorch model.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { backward, data, fit, io, ops, optim, saveWeights, loadWeights, seedCnn, tidy } from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { expectClose, simulated, testDevices } from '../support/native.js';
import { skipUnless, pythonHas } from '../support/skips.js';

const FIXTURE = 'test/fixtures/seed_cnn_parity.safetensors';
const STEPS_FIXTURE = 'test/fixtures/seed_cnn_adam_steps.safetensors';
const PYTHON = '/usr/bin/python3';

/** Within 1e-4 relative to the tensor's scale (max |expected|). */
function expectRel(actual: Tensor, expected: Tensor, label: string) {
  const e = expected.data(),
    a = actual.data();
  const scale = e.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  expectClose(a, e, 1e-4, 1e-4 * scale, label);
}

describe.each(testDevices())('PyTorch parity of the seed CNN on %s', (device) => {
  const { tensors: fx } = io.loadSafetensors(FIXTURE);
  const sub = (prefix: string) => new Map([...fx].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));

  it('logits, loss, gradients and one Adam step match PyTorch', () => {
    const model = seedCnn().to(device);
    model.loadStateDict(sub('init.'));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    tidy(() => {
      const x = ops.to(fx.get('x')!, device),
        y = ops.to(fx.get('y')!, device);
      const logits = model.forward(x);
      expectRel(ops.to(logits, 'cpu'), fx.get('logits')!, 'logits');
      const loss = ops.crossEntropy(logits, y);
      expect(Math.abs(loss.item() - fx.get('loss')!.item())).toBeLessThan(1e-4 * fx.get('loss')!.item());
      backward(loss);
      for (const [name, p] of model.namedParameters()) expectRel(ops.to(p.grad!, 'cpu'), fx.get(`grad.${name}`)!, `grad ${name}`);
      opt.step();
      // Adam's first step is lr * g / (|g| + eps): where PyTorch's gradient is within a few eps
      // of 0 it is a cancellation whose value changes with any summation order, and the step
      // with it. Those elements are only held to the step's bound |delta| <= lr.
      for (const [name, p] of model.namedParameters()) {
        const g = fx.get(`grad.${name}`)!.data(),
          init = fx.get(`init.${name}`)!.data(),
          ours = ops.to(p, 'cpu').data();
        const keep = (i: number) => Math.abs(g[i]) > 1e-6;
        const pick = (t: ArrayLike<number>) => Array.from(t).filter((_, i) => keep(i));
        const expected = fx.get(`adam.${name}`)!.data();
        const scale = Array.from(expected).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expectClose(pick(ours), pick(expected), 1e-4, 1e-4 * scale, `adam ${name}`);
        for (let i = 0; i < g.length; i++)
          if (!keep(i)) expect(Math.abs(ours[i] - init[i]), `adam ${name}[${i}] step`).toBeLessThanOrEqual(1e-3 * (1 + 1e-4));
      }
    });
    opt.dispose();
    model.dispose();
  });

  it('30 steps of fit() with Adam track PyTorch step by step (bias corrections, moments, zeroed grads)', async () => {
    // scripts/fixtures/torch_adam_steps.py: the same initial weights, 30 batches of 64 real MNIST
    // images, torch.optim.Adam(lr=1e-3). Errors that one step cannot show (bias correction at
    // t > 1, moments not carried over, gradients accumulating across steps) move these losses
    // by far more than float rounding does over 30 steps.
    const { tensors: st } = io.loadSafetensors(STEPS_FIXTURE);
    const indices = st.get('indices')!;
    // On the CUDA simulator (every kernel thread run on the CPU) 30 steps take minutes: it runs the
    // first 5 steps' losses, which already exercise bias correction and moments at t > 1; the
    // final weights are compared on real devices only.
    const steps = device === 'cuda' && simulated() ? 5 : indices.shape[0];
    if (steps < indices.shape[0])
      console.log(`CUDA simulator: first ${steps} of ${indices.shape[0]} Adam steps (losses only), to keep the simulator pass short`);
    const expected = st.get('losses')!.data().subarray(0, steps);
    const mnist = data.loadDataset('mnist');
    const x = data.normalize(data.toUnitFloat(mnist.train.images), { mean: 0.1307, std: 0.3081 });
    const rows = data.subset(
      data.tensorDataset(x, mnist.train.labels),
      (indices.data() as Int32Array).subarray(0, steps * indices.shape[1]),
    );
    [x, mnist.train.images, mnist.train.labels, mnist.test.images, mnist.test.labels].forEach((t) => t.dispose());
    const loader = new data.DataLoader(data.tensorDataset(ops.to(rows.x, device), ops.to(rows.y, device)), { batchSize: indices.shape[1] });
    const model = seedCnn().to(device);
    model.loadStateDict(sub('init.'));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const losses: number[] = [];
    const lossFn = (o: Tensor, t: Tensor) => {
      const l = ops.crossEntropy(o, t);
      losses.push(l.item());
      return l;
    };
    await fit(model, loader, { epochs: 1, optimizer: opt, lossFn, progress: false, log: () => {} });
    expect(losses.length).toBe(expected.length);
    const worst = Math.max(...losses.map((l, i) => Math.abs(l - expected[i]) / expected[i]));
    console.log(
      `30 Adam steps on ${device}: losses ${losses[0].toFixed(4)} -> ${losses.at(-1)!.toFixed(4)}, worst relative difference from PyTorch ${worst.toExponential(2)}`,
    );
    expectClose(losses, Array.from(expected), 2e-5, 2e-5, 'per-step losses');
    // Weights: Adam moves an element whose gradient is at rounding level by up to lr per step in
    // either direction, so compare what training changed as a whole: |nnlab change - torch change|
    // relative to |torch change|, per parameter (the 1600x128 layer is stored as its row sums).
    const init = sub('init.');
    for (const [name, p] of steps === indices.shape[0] ? model.namedParameters() : []) {
      const rowSums = (t: Tensor) => (name === '7.weight' ? ops.sum(t, [1]) : t);
      const [got, start] = tidy(() => [rowSums(ops.to(p, 'cpu')).data(), rowSums(init.get(name)!).data()]);
      const want = st.get(`final.${name}`)!.data();
      let diff = 0,
        moved = 0;
      for (let i = 0; i < want.length; i++) {
        diff += (got[i] - want[i]) ** 2;
        moved += (want[i] - start[i]) ** 2;
      }
      const rel = Math.sqrt(diff / moved);
      console.log(`  ${name}: relative difference of the change from PyTorch's ${rel.toExponential(2)}`);
      expect(rel, name).toBeLessThan(1e-3);
    }
    [rows.x, rows.y, loader.dataset.x, loader.dataset.y].forEach((t) => t.dispose());
    opt.dispose();
    model.dispose();
  });

  it('an nnlab checkpoint loads into the PyTorch model and back', (ctx) => {
    skipUnless(ctx, pythonHas('torch'), 'loading the checkpoint into PyTorch needs python3-torch (apt-get install python3-torch)');
    const dir = mkdtempSync(join(tmpdir(), 'nnlab-parity-'));
    const model = seedCnn().to(device);
    model.loadStateDict(sub('adam.'));
    const path = join(dir, 'model.safetensors');
    saveWeights(path, model);
    const out = execFileSync(PYTHON, ['scripts/fixtures/torch_parity.py', 'check', path], { encoding: 'utf8' });
    const torchLogits = JSON.parse(out.trim().split('\n').pop()!).logits as number[];
    model.eval();
    const ours = tidy(() => Array.from(ops.to(model.forward(ops.to(fx.get('x')!, device)), 'cpu').data()));
    const scale = torchLogits.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expectClose(ours, torchLogits, 1e-4, 1e-4 * scale, 'logits of the checkpoint in PyTorch');
    const back = seedCnn().to(device);
    loadWeights(path, back);
    for (const [[n, a], [, b]] of model.namedParameters().map((p, i) => [p, back.namedParameters()[i]] as const))
      expect(Array.from(ops.to(b, 'cpu').data()), n).toEqual(Array.from(ops.to(a, 'cpu').data()));
    model.dispose();
    back.dispose();
  });
});
