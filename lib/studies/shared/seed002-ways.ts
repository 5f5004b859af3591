// The ways of training one network that the report's chapter 3 compares, all plain SGD with MSE:
//   hand-chained  every module's forward and backward called by hand, parameters updated by hand
//   sequential    Sequential.forward, one backward() through the whole graph, update by hand
//   optim         the same with optim.SGD.step() (the report's Optim class)
//   fit           the library's training loop fit() with optim.SGD (the report's SGD function)
// nnlab modules have no backward method of their own (autograd records the graph), so the
// hand-chained way gives each module its own graph: its input is a fresh leaf, and backward()
// from its output with the incoming gradient yields the gradient for the module before it
// (the report's backward_delta) and accumulates its parameters' gradients (backward_update_gradient).
import { backward, fit, nn, noGrad, ops, optim, tidy } from '../../index.js';
import type { data, Tensor } from '../../index.js';

export const WAYS = ['hand-chained', 'sequential', 'optim', 'fit'] as const;
export type Way = (typeof WAYS)[number];

/** Called after each epoch (1-based); returning 'stop' ends training early (ignored by fit). */
export type OnEpoch = (epoch: number) => 'stop' | void;

class Link {
  private input: Tensor | null = null;
  private output: Tensor | null = null;
  constructor(readonly module: nn.Module) {}

  forward(x: Tensor): Tensor {
    this.input = x.detach().requiresGrad_(true);
    this.output = this.module.forward(this.input);
    return this.output.detach();
  }

  /** d loss / d input, given d loss / d output; adds d loss / d parameters to their .grad. */
  backward(delta: Tensor): Tensor {
    backward(this.output!, delta);
    const g = this.input!.grad!;
    this.input!.grad = null;
    return g;
  }
}

/** The loss as the last link: backward() gives d loss / d prediction. */
class MseLink {
  private prediction: Tensor | null = null;
  private loss: Tensor | null = null;

  forward(prediction: Tensor, target: Tensor): Tensor {
    this.prediction = prediction.detach().requiresGrad_(true);
    this.loss = nn.mseLoss(this.prediction, target);
    return this.loss;
  }

  backward(): Tensor {
    backward(this.loss!);
    const g = this.prediction!.grad!;
    this.prediction!.grad = null;
    return g;
  }
}

/** p <- p - lr * grad for every parameter, then the gradients are cleared. */
function updateByHand(net: nn.Module, lr: number): void {
  noGrad(() =>
    tidy(() => {
      for (const p of net.parameters()) if (p.grad) ops.copyInto(p, ops.sub(p, ops.mul(p.grad, lr)));
    }),
  );
  net.zeroGrad();
}

function handChainedStep(links: Link[], net: nn.Module, x: Tensor, y: Tensor, lr: number): void {
  tidy(() => {
    const out = links.reduce((h, l) => l.forward(h), x);
    const loss = new MseLink();
    loss.forward(out, y);
    let delta = loss.backward();
    for (const l of [...links].reverse()) {
      const next = l.backward(delta);
      delta.dispose();
      delta = next;
    }
    delta.dispose();
  });
  updateByHand(net, lr);
}

/** Trains `net` (a Sequential) with batches from `loader`, the given way, for `epochs` epochs. */
export async function trainWay(
  way: Way,
  net: nn.Sequential,
  loader: data.DataLoader,
  lr: number,
  epochs: number,
  onEpoch: OnEpoch = () => {},
): Promise<void> {
  if (way === 'fit') {
    await fit(net, loader, {
      epochs,
      optimizer: new optim.SGD(net.parameters(), { lr }),
      lossFn: (o, t) => nn.mseLoss(o, t),
      progress: false,
      log: () => {},
      onEpoch: (m) => void onEpoch(m.epoch),
    });
    return;
  }
  const links = net.layers.map((m) => new Link(m));
  const opt = way === 'optim' ? new optim.SGD(net.parameters(), { lr }) : null;
  for (let e = 0; e < epochs; e++) {
    for (const { x, y } of loader.batches(e)) {
      if (way === 'hand-chained') handChainedStep(links, net, x, y, lr);
      else {
        tidy(() => backward(nn.mseLoss(net.forward(x), y)));
        if (opt) {
          opt.step();
          opt.zeroGrad();
        } else updateByHand(net, lr);
      }
      x.dispose();
      y.dispose();
    }
    if (onEpoch(e + 1) === 'stop') return;
  }
}
