// Image warps on [N, C, H, W] batches (native bilinear kernels). They are preprocessing and
// augmentation steps without a gradient; the differentiable resize is data/resize-matmul.ts.
import { native } from '../native.js';
import { fromHandle, Tensor } from '../tensor.js';

/** Bilinear resize to h x w (align_corners = false, as torch.nn.functional.interpolate). */
export function resizeBilinear(x: Tensor, h: number, w: number): Tensor {
  return fromHandle(native.resizeBilinear(x.handle, h, w));
}

/** Rotates every image counter-clockwise by `degrees` (one angle, or one per image), filling the uncovered corners. */
export function rotate(x: Tensor, degrees: number | Float32Array, fill = 0): Tensor {
  if (typeof degrees === 'number') return fromHandle(native.rotate(x.handle, degrees, fill));
  const angles = native.fromTypedArray(degrees, [degrees.length], x.device);
  try {
    return fromHandle(native.rotate(x.handle, angles, fill));
  } finally {
    angles.dispose();
  }
}

/** clamp(x * factor + shift, lo, hi) elementwise (one factor and shift for the whole batch). */
export function brightness(x: Tensor, factor: number, shift: number, lo = 0, hi = 1): Tensor {
  return fromHandle(native.brightness(x.handle, factor, shift, lo, hi));
}

/** Every image warped by its 3x3 homography (matrices: 9 values per image, output pixel -> source), filling outside. */
export function warpPerspective(x: Tensor, matrices: Float32Array, outH: number, outW: number, fill = 0): Tensor {
  const m = native.fromTypedArray(matrices, [matrices.length / 9, 3, 3], x.device);
  try {
    return fromHandle(native.warpPerspective(x.handle, m, outH, outW, fill));
  } finally {
    m.dispose();
  }
}
