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
