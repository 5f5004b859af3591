// Reductions and their gradients.
import { record } from '../autograd/engine.js';
import { native } from '../native.js';
import type { NativeTensor } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';
import { expand, reshape } from './shape.js';
import { normAxis } from './util.js';

type Axes = number | readonly number[] | undefined;

function resolveAxes(x: Tensor, axes: Axes, op: string): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes.slice();
  return [...new Set(list.map((a) => normAxis(a, x.ndim, op)))].sort((a, b) => a - b);
}

/** The shape of a reduction's output with keepdim, used to broadcast gradients back. */
function keptShape(x: Tensor, axes: number[]): number[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function sumOrMean(x: Tensor, op: 'sum' | 'mean', axes: Axes, keepdim: boolean): Tensor {
  const ax = resolveAxes(x, axes, op);
  const y = fromHandle(native.reduce(x.handle, op, ax, keepdim));
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  return record(y, op, [x], (g) => {
    let gk = reshape(g, keptShape(x, ax));
    if (op === 'mean') gk = fromHandle(native.unary(gk.handle, 'affine', 1 / Math.max(count, 1), 0));
    return [expand(gk, x.shape)];
  });
}

export const sum = (x: Tensor, axes?: Axes, keepdim = false) => sumOrMean(x, 'sum', axes, keepdim);
export const mean = (x: Tensor, axes?: Axes, keepdim = false) => sumOrMean(x, 'mean', axes, keepdim);

function maxOrMin(x: Tensor, op: 'max' | 'min', axis: number | undefined, keepdim: boolean): Tensor {
  if (axis === undefined) {
    const flat = reshape(x, [x.numel]);
    const r = maxOrMin(flat, op, 0, false);
    return keepdim
      ? reshape(
          r,
          x.shape.map(() => 1),
        )
      : r;
  }
  const a = normAxis(axis, x.ndim, op);
  // min(x) = -max(-x): one native path with indices for the gradient.
  const src = op === 'max' ? x.handle : native.unary(x.handle, 'neg');
  const [v, idx] = native.maxWithIndices(src, a, true);
  if (op === 'min') src.dispose();
  const valsKept = op === 'max' ? fromHandle(v) : fromHandle(native.unary(v, 'neg'));
  if (op === 'min') v.dispose();
  const indices = fromHandle(idx);
  const y = keepdim
    ? valsKept
    : reshape(
        valsKept,
        x.shape.filter((_, i) => i !== a),
      );
  return record(y, op, [x], (g) => {
    const gk = reshape(g, keptShape(x, [a]));
    const zeros = fromHandle(native.full(x.shape.slice(), 0, 'float32', x.device));
    return [fromHandle(native.scatterAdd(zeros.handle, a, indices.handle, gk.handle))];
  });
}

/** Maximum over one axis (or all elements); the gradient goes to the first maximum. */
export const max = (x: Tensor, axis?: number, keepdim = false) => maxOrMin(x, 'max', axis, keepdim);
export const min = (x: Tensor, axis?: number, keepdim = false) => maxOrMin(x, 'min', axis, keepdim);

/** int32 index of the first maximum along axis (flattened when omitted). */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  return fromHandle(native.argmax(x.handle, axis === undefined ? null : axis, keepdim));
}

// The CPU reduction (native/cpu/reduce.cpp) sums a long row in blocks of this many elements and
// adds the block sums in order; the statistics below reproduce that order chunk by chunk.
const REDUCE_BLOCK = 8192;
// Blocks per chunk: 16 MiB of temporaries at a time, however large the tensor.
const STATS_CHUNK_BLOCKS = 512;

/**
 * The float32 sum of n values that `chunk(start, len)` gives a float32 [len] of, with the bits of
 * the one-shot reduce('sum') over all n: the chunks are cut at the reduction's block boundaries
 * and their block sums joined in the same order. `chunk`'s tensors are disposed here.
 */
function blockOrderedSum(n: number, chunk: (start: number, len: number) => NativeTensor): number {
  let total = 0;
  for (let start = 0, first = true; start < n; start += REDUCE_BLOCK * STATS_CHUNK_BLOCKS) {
    const len = Math.min(REDUCE_BLOCK * STATS_CHUNK_BLOCKS, n - start);
    const full = Math.floor(len / REDUCE_BLOCK);
    const values = chunk(start, len);
    const parts: number[] = [];
    for (const [off, rows, cols] of [
      [0, full, REDUCE_BLOCK],
      [full * REDUCE_BLOCK, 1, len - full * REDUCE_BLOCK],
    ]) {
      if (rows === 0 || cols === 0) continue;
      const rowsView =
        rows * cols === len ? native.reshape(values, [rows, cols]) : native.stridedCopy(values, [rows, cols], [cols, 1], off);
      const sums = native.reduce(rowsView, 'sum', [1], false);
      parts.push(...(native.toTypedArray(sums) as Float32Array));
      [rowsView, sums].forEach((t) => t.dispose());
    }
    for (const p of parts) {
      total = first ? p : Math.fround(total + p);
      first = false;
    }
    values.dispose();
  }
  return total;
}

/** The reduction's mean of n values from their sum: the float32 product with 1/n. */
const meanOf = (sum: number, n: number) => (n === 0 ? NaN : Math.fround(sum * Math.fround(1 / Math.fround(n))));

/** Cuts a flat tensor's chunk and maps it (disposing the cut): the chunks blockOrderedSum sums. */
function mappedChunks(flat: NativeTensor, map: (chunk: NativeTensor) => NativeTensor[]) {
  return (start: number, len: number) => {
    const steps = map(native.stridedCopy(flat, [len], [1], start));
    steps.slice(0, -1).forEach((t) => t.dispose());
    return steps[steps.length - 1];
  };
}

/**
 * Mean and population std of all elements as numbers (no graph). The variance is the mean of
 * (x - mean)^2 taken over chunks, so the temporaries stay small for a whole data set (two
 * tensors of its size otherwise, each paged in fresh), with the bits of the one-shot
 * mean(square(x - mean)).
 */
export function noGradStats(x: Tensor): { mean: number; std: number } {
  const m = native.reduce(x.handle, 'mean', [], false);
  const mean = (native.toTypedArray(m) as Float32Array)[0];
  m.dispose();
  const n = x.shape.reduce((a, b) => a * b, 1);
  const flat = native.reshape(x.handle, [n]);
  const sumSq = blockOrderedSum(
    n,
    mappedChunks(flat, (c) => {
      const centered = native.unary(c, 'affine', 1, -mean);
      return [c, centered, native.unary(centered, 'square')];
    }),
  );
  flat.dispose();
  return { mean, std: Math.sqrt(meanOf(sumSq, n)) };
}

/**
 * noGradStats(byteTable(x, values)) for uint8 x and float32 values [256], without the float32
 * tensor of x's size: each pass maps 16 MiB chunks through a table (the values, then their
 * squared distances to the mean, computed by the same ops as noGradStats), so the result has
 * the same bits.
 */
export function noGradStatsOfBytes(x: Tensor, values: Tensor): { mean: number; std: number } {
  const n = x.shape.reduce((a, b) => a * b, 1);
  const flat = native.reshape(x.handle, [n]);
  const mean = meanOf(
    blockOrderedSum(
      n,
      mappedChunks(flat, (c) => [c, native.byteTable(c, values.handle)]),
    ),
    n,
  );
  const centered = native.unary(values.handle, 'affine', 1, -mean);
  const squares = native.unary(centered, 'square');
  const sumSq = blockOrderedSum(
    n,
    mappedChunks(flat, (c) => [c, native.byteTable(c, squares)]),
  );
  [flat, centered, squares].forEach((t) => t.dispose());
  return { mean, std: Math.sqrt(meanOf(sumSq, n)) };
}
