// Validation shared by the metric functions: probability matrices [N, C], member probabilities
// [M, N, C], class labels and OOD scores, as typed arrays or tensors. Every check names the
// shapes it saw and what it expected, and throws a typed error (ShapeError, ValueError,
// ArgumentError) instead of returning a NaN.
import { ArgumentError, DTypeError, ShapeError, ValueError } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';

/** Probabilities, row-major: a Float32Array / Float64Array or a float32 tensor. */
export type ProbInput = Float32Array | Float64Array | Tensor;
/** Class indices: any array of integers, or an int32 / uint8 tensor. */
export type LabelInput = ArrayLike<number> | Tensor;
/** OOD scores (higher = more in-distribution): any array of numbers, or a float32 tensor. */
export type ScoreInput = ArrayLike<number> | Tensor;

export interface ProbMatrix {
  data: Float32Array | Float64Array;
  n: number;
  classes: number;
}

/** How far a row may sum from 1 before it is taken for logits or garbage. */
export const ROW_SUM_TOLERANCE = 1e-3;

function valuesOf(x: ProbInput, op: string): { data: Float32Array | Float64Array; shape: readonly number[] | null } {
  if (x instanceof Tensor) {
    if (x.dtype !== 'float32') throw new DTypeError(`${op}: probabilities must be a float32 tensor, got ${x.dtype}`);
    return { data: x.data() as Float32Array, shape: x.shape };
  }
  if (x instanceof Float32Array || x instanceof Float64Array) return { data: x, shape: null };
  throw new ArgumentError(`${op}: probabilities must be a Float32Array, a Float64Array or a tensor`);
}

/** Checks one matrix of probabilities: finite, in [0, 1], rows summing to 1. */
function checkRows(data: Float32Array | Float64Array, rows: number, classes: number, op: string, what = 'row'): void {
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < classes; c++) {
      const v = data[i * classes + c];
      if (!(v >= 0 && v <= 1 + 1e-6))
        throw new ValueError(`${op}: probabilities must be finite and in [0, 1]; ${what} ${i}, class ${c} holds ${v}`);
      s += v;
    }
    if (Math.abs(s - 1) > ROW_SUM_TOLERANCE)
      throw new ValueError(
        `${op}: each ${what} must sum to 1 (within ${ROW_SUM_TOLERANCE}); ${what} ${i} sums to ${s}. Pass probabilities, not logits`,
      );
  }
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * A validated [N, C] probability matrix. N comes from the tensor's shape, or from `n` (the
 * number of labels) for a typed array, whose length must then be N * C.
 */
export function probMatrix(x: ProbInput, op: string, n?: number, classes?: number): ProbMatrix {
  const { data, shape } = valuesOf(x, op);
  let rows: number, c: number;
  if (shape) {
    if (shape.length !== 2) throw new ShapeError(`${op}: probabilities must be [N, C], got a tensor of shape ${shapeText(shape)}`);
    [rows, c] = shape as [number, number];
    if (n !== undefined && rows !== n)
      throw new ShapeError(`${op}: probabilities ${shapeText(shape)} have ${rows} rows but there are ${n} labels`);
  } else if (n !== undefined) {
    rows = n;
    if (n === 0 || data.length % n !== 0)
      throw new ShapeError(`${op}: ${data.length} probabilities cannot form [N, C] with N = ${n} labels`);
    c = data.length / n;
  } else if (classes !== undefined) {
    if (!(Number.isInteger(classes) && classes > 0)) throw new ArgumentError(`${op}: classes must be a positive integer, got ${classes}`);
    if (data.length % classes !== 0) throw new ShapeError(`${op}: ${data.length} probabilities cannot form [N, ${classes}]`);
    rows = data.length / classes;
    c = classes;
  } else {
    throw new ArgumentError(`${op}: a typed array of probabilities needs the number of classes (or labels) to know its shape [N, C]`);
  }
  if (classes !== undefined && c !== classes) throw new ShapeError(`${op}: probabilities have ${c} classes, expected ${classes}`);
  if (rows === 0) throw new ShapeError(`${op}: needs at least one example, got [0, ${c}]`);
  if (c < 2) throw new ShapeError(`${op}: needs at least 2 classes, got [${rows}, ${c}]`);
  checkRows(data, rows, c, op);
  return { data, n: rows, classes: c };
}

export interface MemberProbs {
  data: Float32Array | Float64Array;
  members: number;
  n: number;
  classes: number;
}

/** Validated member probabilities [M, N, C] (shape from the tensor, or given for a typed array). */
export function memberProbs(x: ProbInput, op: string, shape?: readonly [number, number, number]): MemberProbs {
  const v = valuesOf(x, op);
  const s = v.shape ?? shape;
  if (!s) throw new ArgumentError(`${op}: a typed array of member probabilities needs its shape [M, N, C]`);
  if (v.shape && shape && shapeText(v.shape) !== shapeText(shape))
    throw new ShapeError(`${op}: the tensor has shape ${shapeText(v.shape)} but the shape given is ${shapeText(shape)}`);
  if (s.length !== 3 || !s.every((d) => Number.isInteger(d) && d > 0))
    throw new ShapeError(`${op}: member probabilities must be [M, N, C] with every dimension > 0, got ${shapeText(s)}`);
  const [m, n, c] = s as [number, number, number];
  if (v.data.length !== m * n * c) throw new ShapeError(`${op}: shape ${shapeText(s)} needs ${m * n * c} values, got ${v.data.length}`);
  if (c < 2) throw new ShapeError(`${op}: needs at least 2 classes, got ${shapeText(s)}`);
  checkRows(v.data, m * n, c, op, 'member row');
  return { data: v.data, members: m, n, classes: c };
}

/** Integer class labels in [0, classes); `classes` may be unknown yet (then only integrality is checked). */
export function labelArray(y: LabelInput, op: string, classes?: number): ArrayLike<number> {
  let arr: ArrayLike<number>;
  if (y instanceof Tensor) {
    if (y.dtype !== 'int32' && y.dtype !== 'uint8') throw new DTypeError(`${op}: labels must be an int32 or uint8 tensor, got ${y.dtype}`);
    if (y.ndim !== 1) throw new ShapeError(`${op}: labels must be [N], got ${shapeText(y.shape)}`);
    arr = y.data();
  } else {
    arr = y;
  }
  if (arr.length === 0) throw new ShapeError(`${op}: needs at least one label`);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (!Number.isInteger(v) || v < 0 || (classes !== undefined && v >= classes))
      throw new ValueError(`${op}: label ${i} is ${v}; labels must be integers in [0, ${classes ?? 'C'})`);
  }
  return arr;
}

/** Probabilities [N, C] and their N labels, checked against each other. */
export function probsAndLabels(probs: ProbInput, labels: LabelInput, op: string): { p: ProbMatrix; y: ArrayLike<number> } {
  const y0 = labelArray(labels, op);
  const p = probMatrix(probs, op, y0.length);
  const y = labelArray(y0, op, p.classes);
  return { p, y };
}

/** Finite scores as a Float64Array (one per example). */
export function scoreArray(s: ScoreInput, op: string, name: string): Float64Array {
  let arr: ArrayLike<number>;
  if (s instanceof Tensor) {
    if (s.ndim !== 1) throw new ShapeError(`${op}: ${name} must be [N], got ${shapeText(s.shape)}`);
    arr = s.data();
  } else {
    arr = s;
  }
  if (arr.length === 0) throw new ShapeError(`${op}: ${name} is empty; needs at least one score`);
  const out = Float64Array.from(arr);
  for (let i = 0; i < out.length; i++)
    if (!Number.isFinite(out[i])) throw new ValueError(`${op}: ${name}[${i}] is ${out[i]}; scores must be finite`);
  return out;
}

/** Index of the first largest entry of row i (argmax with ties to the lowest class). */
export function rowArgmax(data: ArrayLike<number>, i: number, classes: number): number {
  let best = 0;
  const off = i * classes;
  for (let c = 1; c < classes; c++) if (data[off + c] > data[off + best]) best = c;
  return best;
}
