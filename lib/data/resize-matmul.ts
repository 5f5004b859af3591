// Bilinear resizing with a gradient: the resize that data.resize does natively (PyTorch's
// align_corners=False) written as two fixed interpolation matrices, out = R_h x R_w^T per image
// plane, applied with matmul and transpose (both differentiable). Attacks need it: they perturb
// 28x28 pixels while the seed-000 ResNet18 sees the 32x32 resize, so the gradient has to flow
// back through the resize. The weights are computed in float32 exactly as the native kernel
// computes its taps (native/kernels/image.h, resize_source_tap), so both give the same images.
import { ArgumentError, ShapeError } from '../core/errors.js';
import * as ops from '../core/ops/index.js';
import { shapeStr, Tensor } from '../core/tensor.js';

const f32 = Math.fround;

/**
 * The [outSize, inSize] matrix R of 1-D bilinear interpolation (align_corners=False, the left
 * border clamped as torch does): row o holds the two taps of output sample o.
 */
export function bilinearMatrix(inSize: number, outSize: number): Float32Array {
  for (const [name, v] of [
    ['inSize', inSize],
    ['outSize', outSize],
  ] as const)
    if (!(Number.isInteger(v) && v > 0)) throw new ArgumentError(`bilinearMatrix: ${name} must be a positive integer, got ${v}`);
  const r = new Float32Array(outSize * inSize);
  const scale = f32(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    let src = f32(f32(scale * f32(o + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const i0 = Math.min(Math.floor(src), inSize - 1);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = Math.min(1, Math.max(0, f32(src - i0)));
    r[o * inSize + i0] += f32(1 - l1);
    r[o * inSize + i1] += l1;
  }
  return r;
}

/** The [cols, rows] transpose of a row-major [rows, cols] matrix. */
function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = m[i * cols + j];
  return t;
}

/**
 * x [N, C, H, W] -> [N, C, h, w], bilinear (align_corners=False), differentiable in x. Equals
 * data.resize up to float32 rounding (the native kernel blends rows in another order).
 */
export function resizeBilinearDifferentiable(x: Tensor, h: number, w: number): Tensor {
  if (x.ndim !== 4) throw new ShapeError(`resizeBilinearDifferentiable: images must be [N, C, H, W], got ${shapeStr(x.shape)}`);
  const [n, c, H, W] = x.shape;
  if (H === h && W === w) return x;
  const rwT = ops.tensor(transposed(bilinearMatrix(W, w), w, W), [W, w], { device: x.device });
  const rhT = ops.tensor(transposed(bilinearMatrix(H, h), h, H), [H, h], { device: x.device });
  const rowsDone = ops.matmul(ops.reshape(x, [n * c, H, W]), rwT); // [NC, H, w]: x R_w^T
  const colsDone = ops.matmul(ops.transpose(rowsDone), rhT); // [NC, w, h]: (R_h x R_w^T)^T
  return ops.reshape(ops.transpose(colsDone), [n, c, h, w]);
}
