// Batched ensemble training (lib/ensemble/fit-batched.ts): M = 3 members trained in one pass
// end up as 3 separate `fit` runs with the same seeds (initialisation, shuffle order, dropout
// streams), for the seed CNN, an MLP with BatchNorm1d and dropout, and a small residual network
// whose block (written here) only calls its Conv2d/BatchNorm2d children and an add.
import { beforeAll, describe, expect, it } from 'vitest';

import {
  ArgumentError,
  backward,
  data,
  fit,
  fitBatched,
  RandomGenerator,
  mlp,
  nn,
  ops,
  optim,
  seedCnn,
  ShapeError,
} from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';
import { ensemble } from '../../lib/index.js';
import { bnMlp, relDiff } from '../support/ensemble.js';

const SEEDS = [11, 22, 33];
const EPOCHS = 2,
  BATCH = 32,
  LR = 1e-3;

class TinyResBlock extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  constructor(c: number, g: RandomGenerator) {
    super();
    this.conv1 = this.registerModule('conv1', new nn.Conv2d(c, c, 3, { padding: 1, bias: false, generator: g }));
    this.bn1 = this.registerModule('bn1', new nn.BatchNorm2d(c));
    this.conv2 = this.registerModule('conv2', new nn.Conv2d(c, c, 3, { padding: 1, bias: false, generator: g }));
    this.bn2 = this.registerModule('bn2', new nn.BatchNorm2d(c));
  }
  forward(x: Tensor): Tensor {
    const h = ops.relu(this.bn1.forward(this.conv1.forward(x)));
    return ops.relu(ops.add(this.bn2.forward(this.conv2.forward(h)), x));
  }
}

const ARCHS: Record<string, (seed: number) => nn.Module> = {
  'seed CNN': (seed) => seedCnn(new RandomGenerator(seed)),
  'MLP with BatchNorm1d and dropout': (seed) => bnMlp(seed, 64, { p: 0.2, seedOffset: 1000 }),
  // The stem conv has no bias, as in ResNet: a bias feeding BatchNorm has a gradient that is zero
  // in exact arithmetic, so what it carries is rounding noise (different between a stacked and a
  // separate pass) that Adam scales up to lr-sized steps; comparing it would compare noise.
  'residual network': (seed) => {
    const g = new RandomGenerator(seed);
    return new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1, bias: false, generator: g }),
      new nn.BatchNorm2d(4),
      new nn.ReLU(),
      new TinyResBlock(4, g),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(4 * 14 * 14, 10, { generator: g }),
    );
  },
};

let train: data.TensorDataset;

beforeAll(() => {
  const d = data.loadDataset('mnist');
  const x = data.toUnitFloat(data.rowsOf(d.train.images, 0, 300));
  const stats = data.pixelStats(x);
  train = data.tensorDataset(data.normalize(x, stats).keep(), data.rowsOf(d.train.labels, 0, 300).keep());
});

function stateOf(m: nn.Module): Map<string, Float32Array> {
  return new Map([...m.stateDict()].map(([k, t]) => [k, Float32Array.from(t.data())]));
}

describe('batched ensemble training equals separate runs', () => {
  it.each(Object.keys(ARCHS))('%s, M = 3, 2 epochs on 300 MNIST images', async (arch) => {
    const make = ARCHS[arch];
    const separate = [];
    for (const seed of SEEDS) {
      const model = make(seed);
      const loader = new data.DataLoader(train, { batchSize: BATCH, shuffle: true, seed });
      const opt = new optim.Adam(model.parameters(), { lr: LR });
      const r = await fit(model, loader, { epochs: EPOCHS, optimizer: opt, progress: false, log: () => {} });
      separate.push({ state: stateOf(model), losses: r.history.map((h) => h.train_loss), accs: r.history.map((h) => h.train_acc) });
      opt.dispose();
      model.dispose();
    }
    const members = SEEDS.map((s) => make(s));
    const r = await fitBatched(members, train, { epochs: EPOCHS, batchSize: BATCH, seeds: SEEDS, lr: LR, progress: false, log: () => {} });
    let worstParam = 0,
      worstLoss = 0;
    members.forEach((m, i) => {
      const got = stateOf(m),
        want = separate[i].state;
      expect([...got.keys()]).toEqual([...want.keys()]);
      for (const [k, w] of want) {
        const g = got.get(k)!;
        if (k.endsWith('num_batches_tracked')) {
          expect(Array.from(g), k).toEqual(Array.from(w));
          continue;
        }
        const d = relDiff(g, w);
        worstParam = Math.max(worstParam, d);
        expect(d, `member ${i} ${k}`).toBeLessThan(2e-4);
      }
      r.history.forEach((epoch, e) => {
        const dl = Math.abs(epoch[i].train_loss - separate[i].losses[e]) / separate[i].losses[e];
        worstLoss = Math.max(worstLoss, dl);
        expect(dl, `member ${i} epoch ${e + 1} loss`).toBeLessThan(1e-5);
        expect(epoch[i].train_acc).toBeCloseTo(separate[i].accs[e], 6);
      });
    });
    // The members really differ from each other (own seeds), and training moved them.
    const s0 = stateOf(members[0]),
      s1 = stateOf(members[1]);
    const firstWeight = [...s0.keys()][0];
    expect(relDiff(s0.get(firstWeight)!, s1.get(firstWeight)!)).toBeGreaterThan(0.1);
    expect(r.history[1][0].train_loss).toBeLessThan(r.history[0][0].train_loss);
    console.log(`${arch}: largest relative parameter difference ${worstParam.toExponential(2)}, loss ${worstLoss.toExponential(2)}`);
    members.forEach((m) => m.dispose());
  });

  it('stacks of fewer members (stackSize) train the same members as one full stack, bit for bit', async () => {
    const make = ARCHS['MLP with BatchNorm1d and dropout'];
    const full = SEEDS.map((s) => make(s)),
      split = SEEDS.map((s) => make(s));
    const a = await fitBatched(full, train, {
      epochs: 1,
      batchSize: BATCH,
      seeds: SEEDS,
      stackSize: SEEDS.length,
      progress: false,
      log: () => {},
    });
    const b = await fitBatched(split, train, { epochs: 1, batchSize: BATCH, seeds: SEEDS, stackSize: 2, progress: false, log: () => {} });
    full.forEach((m, i) => {
      const sa = stateOf(m),
        sb = stateOf(split[i]);
      // Each member's arithmetic does not depend on how many members share its stack: bit for bit.
      for (const [k, v] of sa) expect(sb.get(k)!, `member ${i} ${k}`).toEqual(v);
      expect(b.history[0][i].train_loss).toBe(a.history[0][i].train_loss);
    });
    await expect(fitBatched(full, train, { epochs: 1, batchSize: BATCH, seeds: SEEDS, stackSize: 0 })).rejects.toThrow(/stackSize/);
  });

  it('the objective hook gets every member its own input gradient (how adversarial training plugs in)', async () => {
    const members = SEEDS.map((s) => seedCnn(new RandomGenerator(s)));
    let checked = 0;
    // Deep Ensembles' adversarial training: J(x) + J(x + eps * sign(grad_x J)), per member.
    const objective: ensemble.Objective = (ctx) => {
      const xa = ops.detach(ctx.x).requiresGrad_();
      backward(ctx.loss(ctx.model.forward(xa)));
      ctx.zeroGrad();
      if (checked++ === 0) {
        // Member m alone on its own batch gives the same input gradient as the stacked pass.
        ctx.model.members.forEach((m, i) => {
          const xm = ops.detach(ops.slice(ctx.x, 1, i, i + 1)).requiresGrad_();
          const ym = ops.indexSelect(
            ctx.y,
            0,
            Array.from({ length: ctx.batchSize }, (_, r) => r * ctx.members + i),
          );
          backward(ops.crossEntropy(m.forward(xm), ym));
          const want = xm.grad!.data() as Float32Array;
          const got = ops.slice(xa.grad!, 1, i, i + 1).data() as Float32Array;
          let worst = 0,
            scale = 1e-12;
          for (let k = 0; k < want.length; k++) {
            worst = Math.max(worst, Math.abs(got[k] - want[k]));
            scale = Math.max(scale, Math.abs(want[k]));
          }
          expect(worst / scale, `member ${i} input gradient`).toBeLessThan(1e-5);
          ctx.zeroGrad();
        });
      }
      const xAdv = ops.add(ctx.x, ops.mul(ops.sign(xa.grad!), 0.02));
      const output = ctx.model.forward(ctx.x);
      return { loss: ops.add(ctx.loss(output), ctx.loss(ctx.model.forward(xAdv))), output };
    };
    // One stack of every member: the objective then runs once per step (it runs once per stack).
    const r = await fitBatched(members, train, {
      epochs: 1,
      batchSize: BATCH,
      seeds: SEEDS,
      stackSize: SEEDS.length,
      objective,
      progress: false,
      log: () => {},
    });
    expect(checked).toBe(Math.ceil(300 / BATCH));
    for (const row of r.history[0]) expect(Number.isFinite(row.train_loss)).toBe(true);
    // The plain objective from the same start gives other weights: the hook's loss was the one minimised.
    const plain = SEEDS.map((s) => seedCnn(new RandomGenerator(s)));
    await fitBatched(plain, train, { epochs: 1, batchSize: BATCH, seeds: SEEDS, progress: false, log: () => {} });
    expect(relDiff(stateOf(members[0]).get('0.weight')!, stateOf(plain[0]).get('0.weight')!)).toBeGreaterThan(1e-3);
  });

  it('rejects bad options with typed errors', async () => {
    const members = [seedCnn(new RandomGenerator(1)), seedCnn(new RandomGenerator(2))];
    await expect(fitBatched(members, train, { epochs: 1, batchSize: BATCH, seeds: [1] })).rejects.toThrow(/1 seeds for 2 members/);
    await expect(fitBatched(members, train, { epochs: 1, batchSize: 0, seeds: [1, 2] })).rejects.toThrow(ArgumentError);
    await expect(fitBatched(members, data.tensorDataset(train.x, train.y), { epochs: 1, batchSize: 8, seeds: [1, -2] })).rejects.toThrow(
      /non-negative/,
    );
    await expect(
      fitBatched([seedCnn(new RandomGenerator(1)), mlp(new RandomGenerator(2))], train, { epochs: 1, batchSize: 8, seeds: [1, 2] }),
    ).rejects.toThrow(ShapeError);
  });
});
