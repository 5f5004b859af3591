// Tensor factories.
import { ArgumentError, ShapeError } from '../errors.js';
import { native } from '../native.js';
import type { DType } from '../native.js';
import { defaultGenerator, RandomGenerator } from '../random.js';
import { fromHandle, NestedArray, shapeStr, sizeOf, Tensor } from '../tensor.js';
import type { Device } from '../tensor.js';

export interface CreateOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_(true);
  return t;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

/** A tensor from nested arrays or a typed array (then `shape` is required). */
export function tensor(
  data: NestedArray | Float32Array | Int32Array | Uint8Array,
  shapeOrOpts?: number[] | CreateOptions,
  maybeOpts: CreateOptions = {},
): Tensor {
  const shape = Array.isArray(shapeOrOpts) ? shapeOrOpts : undefined;
  const opts = (Array.isArray(shapeOrOpts) ? maybeOpts : shapeOrOpts) ?? {};
  const device = opts.device ?? 'cpu';
  if (ArrayBuffer.isView(data)) {
    const s = shape ?? [data.length];
    if (sizeOf(s) !== data.length) throw new ShapeError(`tensor: shape ${shapeStr(s)} needs ${sizeOf(s)} values, got ${data.length}`);
    let arr: Float32Array | Int32Array | Uint8Array = data;
    if (opts.dtype === 'float32' && !(data instanceof Float32Array)) arr = Float32Array.from(data);
    if (opts.dtype === 'int32' && !(data instanceof Int32Array)) arr = Int32Array.from(data);
    return finish(fromHandle(native.fromTypedArray(arr, s, device)), opts);
  }
  const s = shape ?? inferShape(data);
  const flat = (Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [data]) as number[];
  if (flat.length !== sizeOf(s)) throw new ShapeError(`tensor: nested array is ragged or does not match shape ${shapeStr(s)}`);
  if (flat.some((v) => typeof v !== 'number')) throw new ArgumentError('tensor: data must hold numbers only');
  const dtype = opts.dtype ?? 'float32';
  const arr = dtype === 'int32' ? Int32Array.from(flat) : dtype === 'uint8' ? Uint8Array.from(flat) : Float32Array.from(flat);
  return finish(fromHandle(native.fromTypedArray(arr, s, device)), opts);
}

export const full = (shape: readonly number[], value: number, opts: CreateOptions = {}) =>
  finish(fromHandle(native.full(shape.slice(), value, opts.dtype ?? 'float32', opts.device ?? 'cpu')), opts);
export const zeros = (shape: readonly number[], opts: CreateOptions = {}) => full(shape, 0, opts);
export const ones = (shape: readonly number[], opts: CreateOptions = {}) => full(shape, 1, opts);
export const zerosLike = (t: Tensor) => full(t.shape, 0, { dtype: t.dtype, device: t.device });
export const onesLike = (t: Tensor) => full(t.shape, 1, { dtype: t.dtype, device: t.device });

/** [start, end) with a step, as float32. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new ArgumentError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((end - start) / step));
  return finish(fromHandle(native.arange(n, start, step, opts.device ?? 'cpu')), opts);
}

export interface RandomOptions extends CreateOptions {
  generator?: RandomGenerator;
}

function randomFill(
  kind: 'uniform' | 'normal' | 'bernoulli',
  shape: readonly number[],
  p1: number,
  p2: number | undefined,
  opts: RandomOptions,
) {
  const g = opts.generator ?? defaultGenerator;
  const [seed, offset] = g.next(sizeOf(shape));
  return finish(fromHandle(native.rand(kind, shape.slice(), seed, offset, p1, p2, opts.device ?? 'cpu')), opts);
}

export const rand = (shape: readonly number[], opts: RandomOptions = {}) => randomFill('uniform', shape, 0, 1, opts);
export const uniform = (shape: readonly number[], lo: number, hi: number, opts: RandomOptions = {}) =>
  randomFill('uniform', shape, lo, hi, opts);
export const randn = (shape: readonly number[], opts: RandomOptions = {}) => randomFill('normal', shape, 0, 1, opts);
export const normal = (shape: readonly number[], mean: number, std: number, opts: RandomOptions = {}) =>
  randomFill('normal', shape, mean, std, opts);
export const bernoulli = (shape: readonly number[], p: number, opts: RandomOptions = {}) =>
  randomFill('bernoulli', shape, p, undefined, opts);

/** A random permutation of [0, n) as int32. */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const [seed, offset] = g.next(n);
  return fromHandle(native.randPermutation(n, seed, offset, opts.device ?? 'cpu'));
}
