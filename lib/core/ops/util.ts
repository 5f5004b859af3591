// Small helpers shared by the op files.
import { ArgumentError } from '../errors.js';
import { native } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';

export type Operand = Tensor | number;

/** A 0-d float32 tensor holding v on the device of `like`. */
export function scalarLike(v: number, like: Tensor): Tensor {
  return fromHandle(native.full([], v, 'float32', like.device));
}

export function asTensor(v: Operand, like: Tensor): Tensor {
  return typeof v === 'number' ? scalarLike(v, like) : v;
}

/** The gradient of a broadcast: g summed back to `shape` (g itself when the shapes agree). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  return fromHandle(native.sumToShape(g.handle, shape.slice()));
}

/** Resolves a possibly negative axis against a rank, naming the op in the error. */
export function normAxis(axis: number, ndim: number, op: string): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= Math.max(ndim, 1))
    throw new ArgumentError(`${op}: axis ${axis} is out of range for a tensor with ${ndim} dimensions`);
  return a;
}

export function pair(v: number | [number, number], name: string, op: string): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every(Number.isInteger))
    throw new ArgumentError(`${op}: ${name} must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
  return p;
}
