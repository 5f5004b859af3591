// Typed surface of native/binding/ops_image.cpp.
import type { NativeTensor } from './core.js';

/**
 * Image transforms on float32 NCHW batches. Pixel centres are at integer coordinates; sampling is
 * bilinear and a tap outside the source image reads `fill` (so edges blend into the fill colour,
 * as torchvision's rotate/affine with a fill value).
 */
export interface ImageOps {
  /**
   * Perspective warp: `matrices` [N, 3, 3] (row-major, one per image) maps each OUTPUT pixel
   * (x, y, 1) to homogeneous source coordinates. Returns [N, C, outH, outW].
   * @throws ValueError a matrix with a non-finite entry or a singular one.
   */
  warpPerspective(x: NativeTensor, matrices: NativeTensor, outH: number, outW: number, fill: number): NativeTensor;
  /**
   * Affine warp: `matrices` [N, 2, 3] maps each OUTPUT pixel (x, y, 1) to source (x', y').
   * @throws ValueError a non-finite or singular matrix.
   */
  affine(x: NativeTensor, matrices: NativeTensor, outH: number, outW: number, fill: number): NativeTensor;
  /**
   * Rotation by `anglesDeg` degrees (one per image, or one for all) about the image centre
   * ((W-1)/2, (H-1)/2). Positive angles turn the content counter-clockwise on screen, as torchvision's
   * rotate; a 90-degree turn of a square image equals torch.rot90(x, 1, [2, 3]) exactly. Keeps the size.
   * @throws ValueError a non-finite angle.
   */
  rotate(x: NativeTensor, anglesDeg: NativeTensor | number, fill: number): NativeTensor;
  /** Bilinear resize to [N, C, outH, outW], equal to torch's interpolate(mode='bilinear', align_corners=False). */
  resizeBilinear(x: NativeTensor, outH: number, outW: number): NativeTensor;
  /**
   * y = clamp(x * factor + shift, lo, hi) per image of x [N, ...]; factor and shift are float32 [N]
   * tensors or one number for all. lo/hi may be infinite.
   */
  brightness(x: NativeTensor, factor: NativeTensor | number, shift: NativeTensor | number, lo: number, hi: number): NativeTensor;
}
