// Copies, casts and device moves.
import { record } from '../autograd/engine.js';
import { native } from '../native.js';
import type { DType } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';
import type { Device } from '../tensor.js';

/** A copy on `device` (gradients flow back to the source device). */
export function to(x: Tensor, device: Device): Tensor {
  if (x.device === device) return x;
  const y = fromHandle(native.toDevice(x.handle, device));
  return record(y, 'to', [x], (g) => [fromHandle(native.toDevice(g.handle, x.device))]);
}

export function clone(x: Tensor): Tensor {
  const y = fromHandle(native.clone(x.handle));
  return record(y, 'clone', [x], (g) => [g]);
}

/** The same data, cut from the graph. Shares storage. */
export function detach(x: Tensor): Tensor {
  return fromHandle(native.reshape(x.handle, x.shape.slice()));
}

/** Converts the element type; uint8 -> float32 may scale (1/255 for images). No gradient. */
export function cast(x: Tensor, dtype: DType, scale = 1): Tensor {
  if (x.dtype === dtype && scale === 1) return x;
  return fromHandle(native.cast(x.handle, dtype, scale));
}

/** Copies src's elements into dst's flat elements from `offset` on (same dtype): fills a large tensor piece by piece. */
export function copyIntoAt(dst: Tensor, src: Tensor, offset: number): void {
  native.stridedCopy(src.handle, [src.numel], [1], 0, dst.handle, [1], offset);
}

/** float32 of x's shape with table[v] for each uint8 value v of x (table: 256 float32 values). No gradient. */
export function byteTable(x: Tensor, table: Tensor): Tensor {
  return fromHandle(native.byteTable(x.handle, table.handle));
}

/** Copies src into dst in place (same shape and dtype); used by optimizers and loaders. */
export function copyInto(dst: Tensor, src: Tensor): void {
  native.copyInto(dst.handle, src.handle);
}
