// Typed surface of native/binding/ops_reduce.cpp.
import type { NativeTensor } from './core.js';

export type ReduceOpName = 'sum' | 'mean' | 'max' | 'min';

export interface ReduceOps {
  /** The valid names of reduce(). */
  reduceOps(): ReduceOpName[];
  /**
   * Reduces x over `axes` (negative allowed, no duplicates; [] or omitted = all axes). Sum of an
   * empty extent is 0, mean is NaN; max/min over a zero-size axis throw ShapeError. NaN propagates
   * through max/min.
   */
  reduce(x: NativeTensor, op: ReduceOpName, axes?: number[], keepdim?: boolean): NativeTensor;
  /** int32 index of the first maximum along `axis` (NaN counts as maximal); axis omitted = flattened. */
  argmax(x: NativeTensor, axis?: number | null, keepdim?: boolean): NativeTensor;
  /** [max values, int32 argmax indices] along `axis`: what max's backward needs. */
  maxWithIndices(x: NativeTensor, axis: number, keepdim?: boolean): [NativeTensor, NativeTensor];
  /**
   * Sums x over the axes along which `shape` broadcasts to x.shape and returns a tensor of exactly
   * `shape` (always a new tensor): the gradient of a broadcast.
   */
  sumToShape(x: NativeTensor, shape: number[]): NativeTensor;
  /**
   * [input - target, op over every element of (input - target)^2] for op 'sum' or 'mean' (a 0-d
   * tensor; the mean of nothing is NaN), input and target of one shape: mseLoss's forward in one
   * pass, bit for bit binary 'sub', unary 'square' and reduce(op) over all axes.
   */
  squaredDiff(input: NativeTensor, target: NativeTensor, op: 'sum' | 'mean'): [NativeTensor, NativeTensor];
}
