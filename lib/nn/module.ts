// Module: the base of every layer and network, with PyTorch's conventions: named parameters
// and buffers, children in registration order, train()/eval(), and state dicts keyed like
// PyTorch's ("features.0.weight", "bn.running_mean") so checkpoints move between the two.
import { ArgumentError, DTypeError, ShapeError } from '../core/errors.js';
import { noGrad } from '../core/autograd/engine.js';
import { cast, copyInto, to } from '../core/ops/convert.js';
import { full } from '../core/ops/creation.js';
import { keep } from '../core/scope.js';
import { shapeStr, Tensor } from '../core/tensor.js';
import type { Device } from '../core/tensor.js';
import { buffer, fieldMembers, parameter } from './fields.js';
import type { FieldMembers } from './fields.js';

export type StateDict = Map<string, Tensor>;

/** Runs before forward; may return a replacement input. */
export type ForwardPreHook = (module: Module, input: Tensor) => Tensor | void;
/** Runs after forward; may return a replacement output (PyTorch's register_forward_hook). */
export type ForwardHook = (module: Module, input: Tensor, output: Tensor) => Tensor | void;

/** A module's hook points (set through lib/explain/hooks.ts). */
export interface ModuleHooks {
  pre: ForwardPreHook[];
  post: ForwardHook[];
}

/** Runs m on x with its hooks, if any: the one place hooks fire (call(), Sequential, forwardInOrder). */
export function runModule(m: Module, x: Tensor): Tensor {
  const h = m.hooks;
  if (!h) return m.forward(x);
  for (const f of h.pre) x = f(m, x) ?? x;
  let y = m.forward(x);
  for (const f of h.post) y = f(m, x, y) ?? y;
  return y;
}

// Module's own fields: never children, whatever they hold.
const MODULE_FIELDS = ['training', 'params', 'buffers', 'children', 'hooks'];

/**
 * The base of layers and networks. A subclass's fields that hold modules, parameters
 * (nn.parameter()), buffers (nn.buffer()), or arrays / Maps of them register themselves in
 * declaration order under PyTorch's names (./fields.ts); registerModule() and friends remain for
 * names that differ from the field's.
 */
export abstract class Module {
  /** Fields of this class that hold modules which are not its children (e.g. another model's layers it reads). */
  static readonly fieldsNotRegistered: readonly string[] = [];
  training = true;
  private readonly params = new Map<string, Tensor | null>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  /** null while no hook is set, so a plain forward costs one check. */
  hooks: ModuleHooks | null = null;

  abstract forward(x: Tensor, ...rest: unknown[]): Tensor;

  /** Same as forward (PyTorch's module(x)). */
  call(x: Tensor, ...rest: unknown[]): Tensor {
    if (this.hooks && rest.length === 0) return runModule(this, x);
    return this.forward(x, ...rest);
  }

  protected registerParameter(name: string, t: Tensor | null): Tensor | null {
    if (t) {
      keep(t);
      if (!t.requiresGrad) t.requiresGrad_(true);
    }
    this.params.set(name, t);
    return t;
  }

  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.buffers.set(name, keep(t));
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Replaces a parameter's tensor (used by loadStateDict and device moves). */
  protected replaceParameter(name: string, t: Tensor): void {
    this.params.set(name, keep(t));
    (this as unknown as Record<string, unknown>)[name] = t;
  }

  protected replaceBuffer(name: string, t: Tensor): void {
    this.buffers.set(name, keep(t));
    (this as unknown as Record<string, unknown>)[name] = t;
  }

  /** What the fields hold beyond the hand-registered members (./fields.ts). */
  private fieldMembers(): FieldMembers<Module> {
    const known = new Set<unknown>([...this.params.values(), ...this.buffers.values()]);
    for (const c of this.children.values()) {
      known.add(c);
      for (const [, m] of c.namedModules()) known.add(m);
      for (const [, t] of [...c.namedParameters(), ...c.namedBuffers()]) known.add(t);
    }
    const own = (this.constructor as typeof Module).fieldsNotRegistered ?? [];
    return fieldMembers(this, (v): v is Module => v instanceof Module, known, new Set([...MODULE_FIELDS, ...own]));
  }

  namedChildren(): [string, Module][] {
    return [...this.children.entries(), ...this.fieldMembers().children.map((e): [string, Module] => [e.name, e.value])];
  }

  /** Every (qualified name, module) below this one, itself first with name ''. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, c] of this.namedChildren()) out.push(...c.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const q = (n: string) => (prefix ? `${prefix}.${n}` : n);
    const fields = this.fieldMembers();
    for (const [n, p] of this.params) if (p) out.push([q(n), p]);
    for (const e of fields.params) out.push([q(e.name), e.value]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(q(n)));
    for (const e of fields.children) out.push(...e.value.namedParameters(q(e.name)));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const q = (n: string) => (prefix ? `${prefix}.${n}` : n);
    const fields = this.fieldMembers();
    for (const [n, b] of this.buffers) out.push([q(n), b]);
    for (const e of fields.buffers) out.push([q(e.name), e.value]);
    for (const [n, c] of this.children) out.push(...c.namedBuffers(q(n)));
    for (const e of fields.children) out.push(...e.value.namedBuffers(q(e.name)));
    return out;
  }

  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.numel, 0);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** Parameters and buffers by PyTorch name. The tensors are the module's own (not copies). */
  stateDict(): StateDict {
    return new Map(this.stateEntries(''));
  }

  /** PyTorch's state_dict() order: own parameters, own buffers, then each child's entries. */
  private stateEntries(prefix: string): [string, Tensor][] {
    const q = (n: string) => (prefix ? `${prefix}.${n}` : n);
    const fields = this.fieldMembers();
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) if (p) out.push([q(n), p]);
    for (const e of fields.params) out.push([q(e.name), e.value]);
    for (const [n, b] of this.buffers) out.push([q(n), b]);
    for (const e of fields.buffers) out.push([q(e.name), e.value]);
    for (const [n, c] of this.namedChildren()) out.push(...c.stateEntries(q(n)));
    return out;
  }

  /**
   * Copies values from a state dict into this module's tensors. strict: every key must match
   * exactly (missing and unexpected keys are listed in the error); shapes must always match.
   * Everything is validated before the first copy, so a failed load leaves the module as it was.
   * A missing `num_batches_tracked` counter counts as 0 (torchvision's ImageNet weights predate
   * it; PyTorch accepts them too). Float and integer tensors are never converted into each other
   * unless `opts.cast` is set: integer data where weights belong is a corrupt or foreign file.
   */
  loadStateDict(sd: StateDict | Record<string, Tensor>, strict = true, opts: { cast?: boolean } = {}): void {
    const src = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const own = this.stateDict();
    const isCounter = (k: string) => k === 'num_batches_tracked' || k.endsWith('.num_batches_tracked');
    const missing = [...own.keys()].filter((k) => !src.has(k) && !isCounter(k));
    const unexpected = [...src.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length || unexpected.length))
      throw new ArgumentError(`loadStateDict: missing keys [${missing.join(', ')}], unexpected keys [${unexpected.join(', ')}]`);
    const isFloat = (t: Tensor) => t.dtype === 'float32';
    for (const [k, dst] of own) {
      const s = src.get(k);
      if (!s) continue;
      if (s.shape.join() !== dst.shape.join())
        throw new ShapeError(
          `loadStateDict: '${k}' has shape ${shapeStr(s.shape)} in the checkpoint but ${shapeStr(dst.shape)} in the model`,
        );
      if (isFloat(s) !== isFloat(dst) && !opts.cast)
        throw new DTypeError(
          `loadStateDict: '${k}' is ${s.dtype} in the checkpoint but ${dst.dtype} in the model (pass { cast: true } to convert)`,
        );
    }
    for (const [k, dst] of own) {
      const s = src.get(k);
      if (!s) {
        if (isCounter(k)) {
          const zero = full(dst.shape, 0, { dtype: dst.dtype, device: dst.device });
          copyInto(dst, zero);
          zero.dispose();
        }
        continue;
      }
      const casted = cast(s, dst.dtype);
      const v = noGrad(() => to(casted, dst.device));
      copyInto(dst, v);
      if (v !== casted) v.dispose();
      if (casted !== s) casted.dispose();
    }
  }

  /** Moves every parameter and buffer to `device` (gradients are dropped). */
  to(device: Device): this {
    for (const [, m] of this.namedModules()) m.moveOwn(device);
    return this;
  }

  private moveOwn(device: Device): void {
    for (const [n, p] of this.params) {
      if (!p || p.device === device) continue;
      const q = noGrad(() => to(p, device));
      q.requiresGrad_(true);
      p.dispose();
      this.replaceParameter(n, q);
    }
    for (const [n, b] of this.buffers) {
      if (b.device === device) continue;
      const q = noGrad(() => to(b, device));
      b.dispose();
      this.replaceBuffer(n, q);
    }
    const fields = this.fieldMembers();
    for (const e of [...fields.params, ...fields.buffers]) {
      if (e.value.device === device) continue;
      const q = noGrad(() => to(e.value, device));
      const trained = e.value.requiresGrad;
      e.value.dispose();
      e.replace(trained ? parameter(q) : buffer(q));
    }
  }

  /** Frees every parameter, gradient and buffer. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
    for (const [, b] of this.namedBuffers()) b.dispose();
  }
}
