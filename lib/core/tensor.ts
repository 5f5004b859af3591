// The Tensor users script against: a native tensor handle plus autograd bookkeeping. Ops live
// in lib/core/ops/ (one file per family, each with its gradient) and are attached as methods in
// lib/core/tensor-methods.ts, so `x.add(y).relu()` and `ops.relu(ops.add(x, y))` are the same thing.
import { ArgumentError, DisposedError } from './errors.js';
import { native } from './native.js';
import type { DType, DeviceName, NativeTensor, NativeTypedArray } from './native.js';
import { keep, track } from './scope.js';

export type { DType };
export type Device = DeviceName;

/** How an op's output is differentiated: its inputs and a function from dL/dout to dL/dinputs. */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** Returns one gradient per input (null where the input needs none). */
  backward(grad: Tensor): (Tensor | null)[];
  /** False when backward reads only the inputs' shapes, never their values (pooling, ReLU). */
  readonly readsInputs?: boolean;
  /** False when backward never reads the output's values (convolution, linear, batch norm). */
  readonly readsOutput?: boolean;
}

export type NestedArray = number | NestedArray[];

export class Tensor {
  readonly handle: NativeTensor;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Leaf tensors with requiresGrad receive .grad in backward(). */
  requiresGrad = false;
  grad: Tensor | null = null;
  gradFn: GradFn | null = null;
  /** Optional name shown in errors and stateDict keys. */
  name?: string;
  /**
   * Set by modules on an intermediate activation that only the recorded graph still refers to
   * (lib/nn/release.ts): backward() frees it once its own gradient function has run.
   */
  releaseAfterBackward = false;

  constructor(handle: NativeTensor) {
    this.handle = handle;
    // The handle's accessor builds a new array on every read: this one is the tensor's own.
    this.shape = Object.freeze(handle.shape);
    this.dtype = handle.dtype;
    // A handle made inside a tidy() scope starts unreported to the GC (native/binding/tensor_handle.h).
    track(this);
  }

  /** Owned by the caller now (kept or returned out of every scope): the GC must see its memory again. */
  escapedScopes(): void {
    if (!this.handle.disposed) this.handle.reportMemory(true);
  }

  get device(): Device {
    const d = this.handle.device;
    if (d === 'disposed') throw new DisposedError('tensor was disposed');
    return d;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return sizeOf(this.shape);
  }
  get disposed(): boolean {
    return this.handle.disposed;
  }
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Frees the native storage now. Safe to call twice. */
  dispose(): void {
    this.handle.dispose();
  }

  /** Excludes this tensor from the enclosing tidy() scopes. */
  keep(): this {
    return keep(this);
  }

  /** A flat copy of the data as a typed array. */
  data(): NativeTypedArray {
    return native.toTypedArray(this.handle);
  }

  /** The data as nested arrays (like torch's tolist()). */
  toArray(): NestedArray {
    const flat = this.data();
    if (this.shape.length === 0) return flat[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(dim === this.shape.length - 1 ? flat[offset + i] : build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1)
      throw new ArgumentError(`item(): the tensor has shape [${this.shape.join(', ')}] (${this.numel} elements); item() needs exactly one`);
    return this.data()[0];
  }

  /** Marks a leaf as needing gradients (in place), like torch's requires_grad_(). */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf) throw new ArgumentError('requiresGrad_: only leaf tensors can change requiresGrad');
    if (flag && this.dtype !== 'float32')
      throw new ArgumentError(`requiresGrad_: only float32 tensors can require gradients, got ${this.dtype}`);
    this.requiresGrad = flag;
    return this;
  }

  toString(): string {
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.handle.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/** Wraps a native handle produced by an op. */
export function fromHandle(h: NativeTensor): Tensor {
  return new Tensor(h);
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Whether two shapes are equal, dimension by dimension. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
