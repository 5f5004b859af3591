// Photometric and geometric image changes for robustness sweeps: brightness (scale, shift and
// clip) and perspective warps (a homography per image), on float32 NCHW batches.
import { ArgumentError, ShapeError } from '../core/errors.js';
import * as imageOps from '../core/ops/image.js';
import { shapeStr, Tensor } from '../core/tensor.js';

/** clamp(x * factor + shift, lo, hi) for every image of x. */
export function brightness(x: Tensor, factor: number, shift: number, lo = 0, hi = 1): Tensor {
  if (!Number.isFinite(factor) || !Number.isFinite(shift))
    throw new ArgumentError(`brightness: factor and shift must be finite, got ${factor}, ${shift}`);
  return imageOps.brightness(x, factor, shift, lo, hi);
}

/**
 * The homography that views an H x W image tilted by `pitchDeg` about its horizontal axis and
 * `yawDeg` about its vertical axis, both through its centre, (a pinhole camera of focal length `focal` pixels at the image
 * centre): it maps each output pixel (x, y, 1) to homogeneous source coordinates.
 */
export function tiltHomography(H: number, W: number, pitchDeg: number, yawDeg: number, focal = Math.max(H, W)): Float32Array {
  const cx = (W - 1) / 2,
    cy = (H - 1) / 2,
    p = (pitchDeg * Math.PI) / 180,
    y = (yawDeg * Math.PI) / 180;
  // R = Ry(yaw) Rx(pitch); source = K R K^-1 output.
  const R = [
    [Math.cos(y), Math.sin(y) * Math.sin(p), Math.sin(y) * Math.cos(p)],
    [0, Math.cos(p), -Math.sin(p)],
    [-Math.sin(y), Math.cos(y) * Math.sin(p), Math.cos(y) * Math.cos(p)],
  ];
  const K = [
    [focal, 0, cx],
    [0, focal, cy],
    [0, 0, 1],
  ];
  const Kinv = [
    [1 / focal, 0, -cx / focal],
    [0, 1 / focal, -cy / focal],
    [0, 0, 1],
  ];
  const mul = (A: number[][], B: number[][]) => A.map((r) => B[0].map((_, j) => r.reduce((s, v, k) => s + v * B[k][j], 0)));
  const M = mul(mul(K, R), Kinv);
  // Then a shift of the source so the image centre stays where it is (the view turns about it).
  const w = M[2][0] * cx + M[2][1] * cy + M[2][2];
  const dx = cx - (M[0][0] * cx + M[0][1] * cy + M[0][2]) / w,
    dy = cy - (M[1][0] * cx + M[1][1] * cy + M[1][2]) / w;
  return Float32Array.from(
    mul(
      [
        [1, 0, dx],
        [0, 1, dy],
        [0, 0, 1],
      ],
      M,
    ).flat(),
  );
}

/** Warps each image of x [N, C, H, W] by its 3x3 matrix (row-major, output -> source); `fill` outside. */
export function warpPerspective(x: Tensor, matrices: Float32Array, fill = 0): Tensor {
  if (x.ndim !== 4) throw new ShapeError(`warpPerspective: expected images [N, C, H, W], got ${shapeStr(x.shape)}`);
  const n = x.shape[0];
  if (matrices.length !== 9 && matrices.length !== 9 * n)
    throw new ArgumentError(`warpPerspective: ${matrices.length} matrix values for ${n} images (need 9, or 9 per image)`);
  const all = matrices.length === 9 ? Float32Array.from({ length: 9 * n }, (_, i) => matrices[i % 9]) : matrices;
  return imageOps.warpPerspective(x, all, x.shape[2], x.shape[3], fill);
}
