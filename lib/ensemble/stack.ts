// Stacking M members of one architecture into a single module that runs them all in one pass.
// Composite modules (Sequential, residual blocks, any module that only calls its children and
// ops) are copied with the member's own prototype and their children replaced by stacked
// children, so their forward code runs unchanged; leaf layers become the stacked layers of
// stacked-layers.ts. The stacked module reads the members' parameters at every call: it holds
// no state of its own, so it stays valid while the members train.
//
// Stacked layout: member m's input, activations and outputs occupy channels (features)
// m*C .. (m+1)*C - 1 of a [B, M*C, ...] tensor.
import { ArgumentError, ShapeError } from '../core/errors.js';
import { Module } from '../nn/module.js';
import * as ops from '../core/ops/index.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import { internals, shellOf, stackFactoryFor } from './stacked-layers.js';

function describe(m: Module): string {
  return m.constructor.name;
}

/** The stacked counterpart of `members` (same class, same structure), and the pairs it mirrors. */
function stackTree(members: Module[], path: string, pairs: [Module, Module[]][]): Module {
  const m0 = members[0];
  members.forEach((m, i) => {
    if (m.constructor !== m0.constructor)
      throw new ArgumentError(`stacking: at '${path || '(root)'}' member ${i} is a ${describe(m)}, member 0 a ${describe(m0)}`);
  });
  const factory = stackFactoryFor(m0);
  let out: Module;
  if (factory) {
    out = factory(members);
  } else {
    const own = internals(m0);
    if ([...own.params.values()].some((p) => p) || own.buffers.size > 0 || own.children.size === 0)
      throw new ArgumentError(
        `stacking: no stacked version of ${describe(m0)} at '${path || '(root)'}'. Supported leaves: Conv2d, Linear, ` +
          'BatchNorm1d/2d, Dropout, ReLU, Tanh, Sigmoid, pooling, Identity, Flatten(1); composite modules may hold only ' +
          'children (register other leaves with registerStackable)',
      );
    const names = m0.namedChildren().map(([n]) => n);
    members.forEach((m, i) => {
      const mine = m.namedChildren().map(([n]) => n);
      if (mine.join() !== names.join())
        throw new ArgumentError(
          `stacking: at '${path || '(root)'}' member ${i} has children [${mine.join(', ')}], member 0 [${names.join(', ')}]`,
        );
    });
    const stackedChildren = new Map<string, Module>();
    for (const n of names)
      stackedChildren.set(
        n,
        stackTree(
          members.map((m) => internals(m).children.get(n)!),
          path ? `${path}.${n}` : n,
          pairs,
        ),
      );
    // The child each module-valued property of member 0 refers to, by identity.
    const nameOf = new Map<Module, string>([...own.children].map(([n, c]) => [c, n]));
    const mapModule = (v: Module, key: string): Module => {
      const n = nameOf.get(v);
      if (n === undefined)
        throw new ArgumentError(`stacking: ${describe(m0)}.${key} at '${path || '(root)'}' holds a module that is not a registered child`);
      return stackedChildren.get(n)!;
    };
    out = shellOf(m0);
    const rec = out as unknown as Record<string, unknown>;
    internals(out).children = stackedChildren;
    for (const key of Object.keys(rec)) {
      const v = rec[key];
      if (v instanceof Module) rec[key] = mapModule(v, key);
      else if (Array.isArray(v) && v.some((e) => e instanceof Module))
        rec[key] = v.map((e) => (e instanceof Module ? mapModule(e, key) : e));
    }
  }
  pairs.push([out, members]);
  return out;
}

/**
 * M members of one architecture run as one module on the stacked layout. Train/eval mode
 * follows the members (set it on them, or on the Ensemble): every call copies each member's
 * mode onto the stacked copy of its module.
 */
export class StackedModel {
  readonly module: Module;
  private readonly pairs: [Module, Module[]][] = [];

  constructor(readonly members: readonly Module[]) {
    if (members.length === 0) throw new ArgumentError('stacking: needs at least one member');
    const shapes = members.map((m) =>
      m
        .namedParameters()
        .map(([n, p]) => `${n}:${shapeStr(p.shape)}`)
        .join(' '),
    );
    shapes.forEach((s, i) => {
      if (s !== shapes[0]) throw new ShapeError(`stacking: member ${i} has parameters {${s}}, member 0 {${shapes[0]}}`);
    });
    this.module = stackTree([...members], '', this.pairs);
  }

  get size(): number {
    return this.members.length;
  }

  /** Every member's parameters, member by member (the order an optimizer over them uses). */
  parameters(): Tensor[] {
    return this.members.flatMap((m) => m.parameters());
  }

  private syncMode(): void {
    for (const [stacked, ms] of this.pairs) {
      const mode = ms[0].training;
      ms.forEach((m, i) => {
        if (m.training !== mode) throw new ArgumentError(`stacking: member ${i} and member 0 are in different train/eval modes`);
      });
      stacked.training = mode;
    }
  }

  /** Stacked input [B, M*C, ...] -> stacked output [B, M*K, ...]. */
  forward(x: Tensor): Tensor {
    this.syncMode();
    return this.module.forward(x);
  }

  /** Member m's batch xs[m] [B, C, ...] goes to channels m*C.. of the stacked input [B, M*C, ...]. */
  stackInputs(xs: readonly Tensor[]): Tensor {
    if (xs.length !== this.size) throw new ArgumentError(`stackInputs: ${xs.length} inputs for ${this.size} members`);
    const s = xs[0].shape;
    if (s.length < 2) throw new ShapeError(`stackInputs: member inputs must be [B, C, ...], got ${shapeStr(s)}`);
    return ops.reshape(ops.stack(xs, 1), [s[0], this.size * s[1], ...s.slice(2)]);
  }

  /** The same batch x [B, C, ...] for every member (evaluation, attacks): gradients sum back into x. */
  replicate(x: Tensor): Tensor {
    if (x.ndim < 2) throw new ShapeError(`replicate: input must be [B, C, ...], got ${shapeStr(x.shape)}`);
    if (this.size === 1) return x;
    const [B, C, ...rest] = x.shape;
    return ops.reshape(ops.expand(ops.reshape(x, [B, 1, C, ...rest]), [B, this.size, C, ...rest]), [B, this.size * C, ...rest]);
  }

  /** Stacked output [B, M*K] -> per-member outputs [M, B, K]. */
  splitOutput(y: Tensor): Tensor {
    if (y.ndim !== 2 || y.shape[1] % this.size !== 0)
      throw new ShapeError(`splitOutput: stacked output must be [B, ${this.size}*K], got ${shapeStr(y.shape)}`);
    const B = y.shape[0],
      K = y.shape[1] / this.size;
    return this.size === 1 ? ops.reshape(y, [1, B, K]) : ops.permute(ops.reshape(y, [B, this.size, K]), [1, 0, 2]);
  }

  /** Per-member logits [M, B, K] of one shared batch x [B, C, ...]. */
  memberOutputs(x: Tensor): Tensor {
    return this.splitOutput(this.forward(this.replicate(x)));
  }
}

/** The stacked model of `members`, or the reason they cannot be stacked. */
export function tryStack(members: readonly Module[]): StackedModel | Error {
  try {
    return new StackedModel(members);
  } catch (e) {
    if (e instanceof ArgumentError || e instanceof ShapeError) return e;
    throw e;
  }
}
