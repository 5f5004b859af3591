// Inference frees intermediate activations as soon as the next layer has read them (lib/nn/release.ts).
import { describe, expect, it } from 'vitest';

import { backward, RandomGenerator, keep, nn, noGrad, ops, tidy } from '../../lib/index.js';
import type { Tensor } from '../../lib/index.js';

/** Passes its input on through a copy and remembers what it saw (optionally keeping it). */
class Probe extends nn.Module {
  seen: Tensor[] = [];
  constructor(private readonly keepInput = false) {
    super();
  }
  forward(x: Tensor): Tensor {
    this.seen.push(this.keepInput ? keep(x) : x);
    return ops.mul(x, 1);
  }
}

function net(p1: Probe, p2: Probe): nn.Sequential {
  const g = new RandomGenerator(3);
  return new nn.Sequential(new nn.Linear(6, 5, { generator: g }), p1, new nn.ReLU(), p2, new nn.Linear(5, 2, { generator: g }));
}

describe('early release of activations', () => {
  it('under noGrad, Sequential frees each intermediate once consumed; the output is unchanged', () => {
    const p1 = new Probe(),
      p2 = new Probe();
    const m = net(p1, p2);
    const x = ops.randn([4, 6], { generator: new RandomGenerator(1) }).keep();
    const withGrad = tidy(() => {
      const y = m.forward(x);
      // With gradients on, the tape may need them: nothing is freed before the scope ends.
      expect(p1.seen[0].disposed).toBe(false);
      expect(p2.seen[0].disposed).toBe(false);
      return Array.from(y.data());
    });
    const inference = noGrad(() =>
      tidy(() => {
        const y = m.forward(x);
        expect(p1.seen[1].disposed).toBe(true);
        expect(p2.seen[1].disposed).toBe(true);
        expect(x.disposed).toBe(false);
        return Array.from(y.data());
      }),
    );
    expect(inference).toEqual(withGrad);
    m.dispose();
    x.dispose();
  });

  it('a tensor a layer kept, or one made outside the scope, is not freed', () => {
    const p1 = new Probe(true),
      p2 = new Probe();
    const m = net(p1, p2);
    const x = ops.randn([4, 6], { generator: new RandomGenerator(1) }).keep();
    noGrad(() => tidy(() => m.forward(x)));
    expect(p1.seen[0].disposed).toBe(false);
    p1.seen[0].dispose();
    // Without an enclosing tidy, intermediates belong to nobody's scope and are left to the GC.
    const y = noGrad(() => m.forward(x));
    expect(p2.seen[1].disposed).toBe(false);
    y.dispose();
    m.dispose();
    x.dispose();
  });

  it('ResNet18 logits are the same with and without early release', () => {
    const model = new nn.ResNet18({ numClasses: 10, generator: new RandomGenerator(0) }).eval();
    const x = ops.randn([2, 3, 32, 32], { generator: new RandomGenerator(2) }).keep();
    const a = tidy(() => Array.from(model.forward(x).data()));
    const b = noGrad(() => tidy(() => Array.from(model.forward(x).data())));
    expect(b).toEqual(a);
    expect(x.disposed).toBe(false);
    model.dispose();
    x.dispose();
  });
});

describe('release of activations during backward', () => {
  const convNet = (p: Probe) => {
    const g = new RandomGenerator(5);
    return new nn.Sequential(
      new nn.Conv2d(2, 4, 3, { padding: 1, generator: g }),
      new nn.BatchNorm2d(4),
      p,
      new nn.ReLU(),
      new nn.Conv2d(4, 3, 3, { generator: g }),
      new nn.Flatten(),
      new nn.Linear(3 * 4 * 4, 2, { generator: g }),
    );
  };
  const grads = (m: nn.Module) => m.parameters().map((t) => Array.from(t.grad!.data()));

  it('backward frees each marked activation once used; the gradients equal those of a retained graph', () => {
    const x = ops.randn([3, 2, 6, 6], { generator: new RandomGenerator(2) }).keep();
    const p = new Probe();
    const m = convNet(p);
    const y = ops.tensor([0, 1, 1], { dtype: 'int32' }).keep();
    let retained: number[][] = [];
    tidy(() => {
      const out = m.forward(x);
      expect(p.seen[0].disposed, 'alive until backward').toBe(false);
      backward(ops.crossEntropy(out, y), undefined, { retainGraph: true });
      expect(p.seen[0].disposed).toBe(false);
      retained = grads(m);
    });
    m.zeroGrad();
    tidy(() => {
      const out = m.forward(x);
      backward(ops.crossEntropy(out, y));
      expect(p.seen[1].disposed, 'freed by backward').toBe(true);
      // What the caller holds stays: the network's output (fit counts correct answers after backward).
      expect(out.disposed).toBe(false);
      expect(x.disposed).toBe(false);
    });
    expect(grads(m)).toEqual(retained);
    m.dispose();
    x.dispose();
    y.dispose();
  });

  it('a second backward through a freed graph is a clear error; with retainGraph it accumulates', () => {
    const x = ops.randn([3, 2, 6, 6], { generator: new RandomGenerator(2) }).keep();
    const m = convNet(new Probe());
    tidy(() => {
      const loss = ops.sum(m.forward(x));
      backward(loss, undefined, { retainGraph: true });
      const once = grads(m);
      backward(loss);
      expect(grads(m)).toEqual(once.map((g) => g.map((v) => 2 * v)));
      expect(() => backward(loss)).toThrow(/retainGraph/);
    });
    m.dispose();
    x.dispose();
  });
});

describe('activations nothing reads are freed during the forward pass', () => {
  /** A convolution that remembers its outputs. */
  class TapConv extends nn.Conv2d {
    outs: Tensor[] = [];
    forward(x: Tensor): Tensor {
      const y = super.forward(x);
      this.outs.push(y);
      return y;
    }
  }
  /** The same max-pool through an overriding forward: not a registered one-op layer, so nothing is freed early. */
  class OpaquePool extends nn.MaxPool2d {
    forward(x: Tensor): Tensor {
      return super.forward(x);
    }
  }
  const build = (pool: nn.MaxPool2d) => {
    const g = new RandomGenerator(9);
    const tap = new TapConv(1, 4, 3, { generator: g });
    const m = new nn.Sequential(
      tap,
      pool,
      new nn.ReLU(),
      new nn.Conv2d(4, 2, 3, { generator: g }),
      new nn.Flatten(),
      new nn.Linear(2 * 2 * 2, 3, { generator: g }),
    );
    return { tap, m };
  };

  it('a conv output read only by a max-pool goes once pooled; gradients are unchanged', () => {
    const x = ops.randn([2, 1, 10, 10], { generator: new RandomGenerator(4) }).keep();
    const y = ops.tensor([0, 2], { dtype: 'int32' }).keep();
    const step = (pool: nn.MaxPool2d) => {
      const { tap, m } = build(pool);
      const freedEarly = tidy(() => {
        const out = m.forward(x);
        const freed = tap.outs[0].disposed;
        backward(ops.crossEntropy(out, y));
        return freed;
      });
      const grads = m.parameters().map((t) => Array.from(t.grad!.data()));
      m.dispose();
      return { freedEarly, grads };
    };
    const early = step(new nn.MaxPool2d(2));
    const kept = step(new OpaquePool(2));
    expect(early.freedEarly).toBe(true);
    expect(kept.freedEarly).toBe(false);
    expect(early.grads).toEqual(kept.grads);
    x.dispose();
    y.dispose();
  });
});
