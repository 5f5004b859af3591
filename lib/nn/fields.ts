// PyTorch registers a module's sub-modules and parameters when they are assigned as attributes
// (`self.conv1 = nn.Conv2d(...)`). A TypeScript class declares fields instead, and they are
// assigned after Module's constructor has run, so they are found when asked for: the module's own
// enumerable fields, in declaration order, that hold a Module, a parameter (a leaf tensor that
// requires gradients, e.g. made with nn.parameter()), a buffer (nn.buffer()), or an array or Map
// of those (PyTorch's ModuleList / ModuleDict / ParameterList: names `layers.0.bias`,
// `heads.cls.weight`). What a module registered by hand (registerModule, ...) is not found twice.
import { keep } from '../core/scope.js';
import { Tensor } from '../core/tensor.js';

const buffers = new WeakSet<Tensor>();

/** Marks t as a trainable parameter (PyTorch's nn.Parameter): kept out of every scope, requires gradients. */
export function parameter(t: Tensor): Tensor {
  keep(t);
  if (!t.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** Marks t as a buffer (PyTorch's register_buffer): saved in stateDict(), moved by to(), not trained. */
export function buffer(t: Tensor): Tensor {
  buffers.add(keep(t));
  return t;
}

export interface FieldEntry<T> {
  name: string;
  value: T;
  /** Puts a replacement in the field (device moves). */
  replace(v: T): void;
}

export interface FieldMembers<Module> {
  params: FieldEntry<Tensor>[];
  buffers: FieldEntry<Tensor>[];
  children: FieldEntry<Module>[];
}

const isParam = (v: unknown): v is Tensor => v instanceof Tensor && !buffers.has(v) && v.requiresGrad && v.isLeaf && !v.disposed;
const isBuffer = (v: unknown): v is Tensor => v instanceof Tensor && buffers.has(v) && !v.disposed;

/**
 * The members `m` holds in fields. `isModule` tells modules apart (passed in, and Module a type
 * parameter: module.ts imports this file); `known` holds what m registered by hand and everything below it; `skip` the fields
 * that are Module's own or that a class declared as not its children.
 */
export function fieldMembers<Module>(
  m: object,
  isModule: (v: unknown) => v is Module,
  known: Set<unknown>,
  skip: ReadonlySet<string>,
): FieldMembers<Module> {
  const out: FieldMembers<Module> = { params: [], buffers: [], children: [] };
  const fields = m as unknown as Record<string, unknown>;
  const add = (name: string, v: unknown, replace: (x: never) => void) => {
    if (known.has(v)) return;
    if (isModule(v)) out.children.push({ name, value: v, replace });
    else if (isParam(v)) out.params.push({ name, value: keep(v), replace });
    else if (isBuffer(v)) out.buffers.push({ name, value: v, replace });
    else return;
    known.add(v);
  };
  for (const key of Object.keys(fields)) {
    if (skip.has(key)) continue;
    const v = fields[key];
    if (Array.isArray(v)) v.forEach((item, i) => add(`${key}.${i}`, item, (x) => (v[i] = x)));
    else if (v instanceof Map) for (const [k, item] of v) add(`${key}.${String(k)}`, item, (x) => v.set(k, x));
    else add(key, v, (x) => (fields[key] = x));
  }
  return out;
}
