// Layout ops: views that share storage (reshape) and copies made by the native strided copy
// (permute, expand, slice, concat), with their gradients.
import { record } from '../autograd/engine.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { native } from '../native.js';
import { fromHandle, shapeStr, sizeOf, Tensor } from '../tensor.js';
import { normAxis, sumTo } from './util.js';

const contiguousStrides = (shape: readonly number[]) => {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
};

/** Same data, new shape (one dimension may be -1). Shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const s = shape.slice();
  const infer = s.indexOf(-1);
  if (infer >= 0) {
    const rest = s.reduce((a, d, i) => (i === infer ? a : a * d), 1);
    if (s.indexOf(-1, infer + 1) >= 0 || rest === 0 || x.numel % rest !== 0)
      throw new ShapeError(`reshape: cannot view ${shapeStr(x.shape)} (${x.numel} elements) as ${shapeStr(shape)}`);
    s[infer] = x.numel / rest;
  }
  const y = fromHandle(native.reshape(x.handle, s));
  return record(y, 'reshape', [x], (g) => [fromHandle(native.reshape(g.handle, x.shape.slice()))]);
}
export const view = reshape;

/** Flattens dims start..end into one (PyTorch's flatten; default keeps the batch dim). */
export function flatten(x: Tensor, start = 1, end = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normAxis(start, x.ndim, 'flatten'),
    e = normAxis(end, x.ndim, 'flatten');
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis(axis, x.ndim + 1, 'unsqueeze');
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normAxis(axis, x.ndim, 'squeeze');
  if (x.shape[a] !== 1) return x;
  return reshape(x, [...x.shape.slice(0, a), ...x.shape.slice(a + 1)]);
}

/** A contiguous copy with the axes reordered: out.shape[i] = x.shape[dims[i]]. */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x.ndim || new Set(dims.map((d) => normAxis(d, x.ndim, 'permute'))).size !== x.ndim)
    throw new ArgumentError(`permute: ${JSON.stringify(dims)} is not a permutation of the ${x.ndim} axes of ${shapeStr(x.shape)}`);
  const d = dims.map((v) => normAxis(v, x.ndim, 'permute'));
  const st = contiguousStrides(x.shape);
  const y = fromHandle(
    native.stridedCopy(
      x.handle,
      d.map((i) => x.shape[i]),
      d.map((i) => st[i]),
      0,
    ),
  );
  const inverse = new Array<number>(d.length);
  d.forEach((v, i) => (inverse[v] = i));
  return record(y, 'permute', [x], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const i = normAxis(a, x.ndim, 'transpose'),
    j = normAxis(b, x.ndim, 'transpose');
  const dims = x.shape.map((_, k) => k);
  [dims[i], dims[j]] = [dims[j], dims[i]];
  return permute(x, dims);
}

/** Broadcasts x to `shape` (a copy; size-1 dims repeat). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.ndim) throw new ShapeError(`expand: cannot expand ${shapeStr(x.shape)} to fewer dimensions ${shapeStr(shape)}`);
  const lead = shape.length - x.ndim;
  const st = contiguousStrides(x.shape);
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const xd = x.shape[i - lead];
    if (xd === d) return st[i - lead];
    if (xd === 1) return 0;
    throw new ShapeError(`expand: ${shapeStr(x.shape)} cannot be expanded to ${shapeStr(shape)} (dimension ${i}: ${xd} vs ${d})`);
  });
  const y = fromHandle(native.stridedCopy(x.handle, shape.slice(), strides, 0));
  return record(y, 'expand', [x], (g) => [sumTo(g, x.shape)]);
}

/** x[..., start:end:step, ...] along one axis (a copy). */
export function slice(x: Tensor, axis: number, start: number, end?: number, step = 1): Tensor {
  const a = normAxis(axis, x.ndim, 'slice');
  const n = x.shape[a];
  if (!Number.isInteger(step) || step < 1) throw new ArgumentError(`slice: step must be a positive integer, got ${step}`);
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = clampIdx(start),
    e = clampIdx(end ?? n);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const st = contiguousStrides(x.shape);
  const shape = x.shape.slice();
  shape[a] = len;
  const strides = st.slice();
  strides[a] = st[a] * step;
  const y = fromHandle(native.stridedCopy(x.handle, shape, strides, len > 0 ? s * st[a] : 0));
  return record(y, 'slice', [x], (g) => {
    const dx = fromHandle(native.full(x.shape.slice(), 0, 'float32', x.device));
    if (len > 0) native.stridedCopy(g.handle, shape, contiguousStrides(shape), 0, dx.handle, strides, s * st[a]);
    return [dx];
  });
}

/** Joins tensors of equal shape except along `axis`. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ArgumentError('concat: needs at least one tensor');
  const a = normAxis(axis, xs[0].ndim, 'concat');
  for (const [i, t] of xs.entries()) {
    if (t.ndim !== xs[0].ndim || t.shape.some((d, k) => k !== a && d !== xs[0].shape[k]))
      throw new ShapeError(
        `concat: tensor ${i} has shape ${shapeStr(t.shape)}; it must match ${shapeStr(xs[0].shape)} except along axis ${a}`,
      );
    if (t.dtype !== xs[0].dtype) throw new ShapeError(`concat: tensor ${i} is ${t.dtype}, tensor 0 is ${xs[0].dtype}`);
  }
  const outShape = xs[0].shape.slice();
  outShape[a] = xs.reduce((s, t) => s + t.shape[a], 0);
  const out = fromHandle(native.full(outShape, 0, xs[0].dtype, xs[0].device));
  const ost = contiguousStrides(outShape);
  let offset = 0;
  const offsets: number[] = [];
  for (const t of xs) {
    offsets.push(offset);
    if (t.numel > 0) native.stridedCopy(t.handle, t.shape.slice(), contiguousStrides(t.shape), 0, out.handle, ost, offset * ost[a]);
    offset += t.shape[a];
  }
  return record(out, 'concat', xs.slice(), (g) =>
    xs.map((t, i) => (t.requiresGrad ? slice(g, a, offsets[i], offsets[i] + t.shape[a]) : null)),
  );
}

export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ArgumentError('stack: needs at least one tensor');
  const a = normAxis(axis, xs[0].ndim + 1, 'stack');
  return concat(
    xs.map((t) => unsqueeze(t, a)),
    a,
  );
}

/** Rows (or slices along `axis`) picked by an int32 index tensor or a list of indices. */
export function indexSelect(x: Tensor, axis: number, index: Tensor | readonly number[]): Tensor {
  const a = normAxis(axis, x.ndim, 'indexSelect');
  const idx = index instanceof Tensor ? index : fromHandle(native.fromTypedArray(Int32Array.from(index), [index.length], x.device));
  const y = fromHandle(native.indexSelect(x.handle, a, idx.handle));
  return record(y, 'indexSelect', [x], (g) => {
    const zeros = fromHandle(native.full(x.shape.slice(), 0, 'float32', x.device));
    return [fromHandle(native.indexAdd(zeros.handle, a, idx.handle, g.handle))];
  });
}

/** torch.gather along `axis`. */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normAxis(axis, x.ndim, 'gather');
  const y = fromHandle(native.gather(x.handle, a, index.handle));
  return record(y, 'gather', [x], (g) => {
    const zeros = fromHandle(native.full(x.shape.slice(), 0, 'float32', x.device));
    return [fromHandle(native.scatterAdd(zeros.handle, a, index.handle, g.handle))];
  });
}
