// Deep Ensembles (Lakshminarayanan et al. 2017): M independently trained classifiers whose
// predictive distribution is the mean of their softmax outputs, p(y|x) = 1/M sum_m p_m(y|x).
// forward(x) returns LOG p(y|x), so softmax(forward(x)) is that distribution and
// cross-entropy-from-logits on forward(x) is the ensemble's NLL (what adversarial attacks
// differentiate). Members of one architecture run stacked, in one pass; others one by one.
import { noGrad } from '../core/autograd/engine.js';
import { ArgumentError, ShapeError } from '../core/errors.js';
import { Module } from '../nn/module.js';
import * as ops from '../core/ops/index.js';
import { rowsOf } from '../data/loader.js';
import { tidy } from '../core/scope.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import { StackedModel, tryStack } from './stack.js';

/** PyTorch's nn.ModuleList: children "0", "1", ... (so state-dict keys read members.<i>.<param>). */
export class MemberList extends Module {
  constructor(readonly items: readonly Module[]) {
    super();
    items.forEach((m, i) => this.registerModule(String(i), m));
  }
  forward(): Tensor {
    throw new ArgumentError('MemberList has no forward of its own: call its members');
  }
}

export interface PredictOptions {
  /** Rows per forward pass (default ceil(1000 / M): a stacked pass holds M members' activations). */
  batchSize?: number;
}

export class Ensemble extends Module {
  readonly members: readonly Module[];
  private stackedCache: StackedModel | Error | undefined;

  constructor(members: readonly Module[]) {
    super();
    if (members.length === 0) throw new ArgumentError('Ensemble: needs at least one member');
    if (new Set(members).size !== members.length) throw new ArgumentError('Ensemble: the same module appears twice among the members');
    this.members = [...members];
    this.registerModule('members', new MemberList(this.members));
  }

  get size(): number {
    return this.members.length;
  }

  /** The members run as one stacked module, or null (with the reason in `whyNotStacked`) when they cannot be. */
  get stacked(): StackedModel | null {
    this.stackedCache ??= tryStack(this.members);
    return this.stackedCache instanceof StackedModel ? this.stackedCache : null;
  }

  get whyNotStacked(): string | null {
    return this.stacked ? null : (this.stackedCache as Error).message;
  }

  /** Each member's logits for the same batch, [M, B, K] (one stacked pass when possible). */
  memberLogits(x: Tensor): Tensor {
    const s = this.stacked;
    if (s) return s.memberOutputs(x);
    const outs = this.members.map((m, i) => {
      const y = m.forward(x);
      if (y.ndim !== 2) throw new ShapeError(`Ensemble: member ${i} returned ${shapeStr(y.shape)}; members must return logits [B, K]`);
      return y;
    });
    return ops.stack(outs, 0);
  }

  /**
   * log of the mean of the members' softmax, [B, K]: log(1/M sum_m softmax(z_m)), computed as
   * logsumexp over members of log-softmax(z_m) minus log M (stable; the shift is detached, which
   * leaves the value and the gradient unchanged).
   */
  forward(x: Tensor): Tensor {
    return meanOfSoftmaxLog(this.memberLogits(x));
  }

  /** Evaluation-mode pass over x in batches, without a graph; restores the previous mode. */
  private inEval<T>(fn: () => T): T {
    const modes = this.namedModules().map(([, m]) => [m, m.training] as const);
    this.eval();
    try {
      return noGrad(fn);
    } finally {
      for (const [m, t] of modes) m.training = t;
    }
  }

  private batches(x: Tensor, o: PredictOptions, each: (xb: Tensor, lo: number, hi: number) => void): void {
    const bs = o.batchSize ?? Math.ceil(1000 / this.size);
    if (!(Number.isInteger(bs) && bs > 0)) throw new ArgumentError(`Ensemble: batchSize must be a positive integer, got ${bs}`);
    const n = x.shape[0];
    for (let lo = 0; lo < n; lo += bs) {
      const hi = Math.min(n, lo + bs);
      tidy(() => each(lo === 0 && hi === n ? x : rowsOf(x, lo, hi), lo, hi));
    }
  }

  /** The ensemble's predictive distribution on x, [N, K] row-major (evaluation mode). */
  predictProba(x: Tensor, o: PredictOptions = {}): Float32Array {
    const probs = this.memberProba(x, o);
    const nk = probs.length / this.size,
      out = new Float32Array(nk);
    // Mean over members in float64, rounded once.
    for (let e = 0; e < nk; e++) {
      let s = 0;
      for (let m = 0; m < this.size; m++) s += probs[m * nk + e];
      out[e] = s / this.size;
    }
    return out;
  }

  /** Each member's softmax on x, [M, N, K] row-major (evaluation mode): for mutual information. */
  memberProba(x: Tensor, o: PredictOptions = {}): Float32Array {
    const n = x.shape[0],
      M = this.size;
    const chunks: { lo: number; rows: number; p: Float32Array }[] = [];
    this.inEval(() =>
      this.batches(x, o, (xb, lo, hi) => {
        chunks.push({ lo, rows: hi - lo, p: ops.softmax(this.memberLogits(xb), -1).data() as Float32Array }); // [M, rows, K]
      }),
    );
    if (chunks.length === 0) return new Float32Array(0);
    const k = chunks[0].p.length / (M * chunks[0].rows);
    const out = new Float32Array(M * n * k);
    for (const c of chunks) for (let m = 0; m < M; m++) out.set(c.p.subarray(m * c.rows * k, (m + 1) * c.rows * k), (m * n + c.lo) * k);
    return out;
  }
}

/** log(1/M sum_m softmax(z_m)) for logits z [M, B, K] -> [B, K]. */
export function meanOfSoftmaxLog(logits: Tensor): Tensor {
  if (logits.ndim !== 3) throw new ShapeError(`meanOfSoftmaxLog: logits must be [M, B, K], got ${shapeStr(logits.shape)}`);
  const M = logits.shape[0];
  const logp = ops.logSoftmax(logits, -1);
  if (M === 1) return ops.reshape(logp, logits.shape.slice(1));
  const shift = ops.detach(ops.max(logp, 0, true));
  const lse = ops.add(ops.log(ops.sum(ops.exp(ops.sub(logp, shift)), 0)), ops.reshape(shift, logits.shape.slice(1)));
  return ops.affine(lse, 1, -Math.log(M));
}
