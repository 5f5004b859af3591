import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError, ValueError } from '../../lib/core/errors.js';
import { expectClose, native, randomArray, tensor, testDevices, values } from '../support/native.js';

/** Bilinear sample of one plane at (sx, sy); taps outside the plane read `fill`. */
function sampleRef(plane: ArrayLike<number>, h: number, w: number, sx: number, sy: number, fill: number): number {
  const x0 = Math.floor(sx),
    y0 = Math.floor(sy),
    ax = sx - x0,
    ay = sy - y0;
  const at = (y: number, x: number) => (y >= 0 && y < h && x >= 0 && x < w ? plane[y * w + x] : fill);
  return (1 - ax) * (1 - ay) * at(y0, x0) + ax * (1 - ay) * at(y0, x0 + 1) + (1 - ax) * ay * at(y0 + 1, x0) + ax * ay * at(y0 + 1, x0 + 1);
}

/** Reference warp in float64: m (9 per image) maps output (x, y, 1) to source coordinates. */
function warpRef(x: Float32Array, shape: number[], m: number[], oh: number, ow: number, fill: number): Float64Array {
  const [n, c, h, w] = shape;
  const out = new Float64Array(n * c * oh * ow);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++) {
      const plane = x.subarray((i * c + ch) * h * w, (i * c + ch + 1) * h * w);
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          const q = m.slice(9 * i, 9 * i + 9);
          const z = q[6] * xx + q[7] * y + q[8];
          const sx = (q[0] * xx + q[1] * y + q[2]) / z,
            sy = (q[3] * xx + q[4] * y + q[5]) / z;
          out[((i * c + ch) * oh + y) * ow + xx] = sampleRef(plane, h, w, sx, sy, fill);
        }
    }
  return out;
}

/** torch's align_corners=False source index along one axis. */
function srcTap(dst: number, inSize: number, outSize: number) {
  const scale = Math.fround(inSize / outSize);
  const src = Math.max(0, scale * (dst + 0.5) - 0.5);
  const i0 = Math.min(Math.floor(src), inSize - 1);
  const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
  const l1 = src - i0;
  return { i0, i1, l0: 1 - l1, l1 };
}

function resizeRef(x: Float32Array, shape: number[], oh: number, ow: number): Float64Array {
  const [n, c, h, w] = shape;
  const out = new Float64Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < oh; y++) {
      const ty = srcTap(y, h, oh);
      for (let xx = 0; xx < ow; xx++) {
        const tx = srcTap(xx, w, ow);
        const v = (r: number, col: number) => x[p * h * w + r * w + col];
        const top = tx.l0 * v(ty.i0, tx.i0) + tx.l1 * v(ty.i0, tx.i1);
        const bot = tx.l0 * v(ty.i1, tx.i0) + tx.l1 * v(ty.i1, tx.i1);
        out[(p * oh + y) * ow + xx] = ty.l0 * top + ty.l1 * bot;
      }
    }
  return out;
}

const rotationMatrix = (deg: number, h: number, w: number) => {
  const t = (deg * Math.PI) / 180,
    c = Math.cos(t),
    s = Math.sin(t),
    cx = (w - 1) / 2,
    cy = (h - 1) / 2;
  return [c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy, 0, 0, 1];
};

describe.each(testDevices())('image transforms on %s', (device) => {
  const img = (shape: number[], seed: number) => {
    const data = randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
      0,
      1,
    );
    return { data, t: tensor(data, shape, device) };
  };

  it('rotate by 0 and the identity homography are exact identities', () => {
    const { data, t } = img([2, 3, 5, 7], 1);
    expect(Array.from(values(native.rotate(t, 0, 0.5)))).toEqual(Array.from(data));
    expect(Array.from(values(native.rotate(t, 360, 0.5)))).toEqual(Array.from(data));
    const eye = tensor([1, 0, 0, 0, 1, 0, 0, 0, 1, 2, 0, 0, 0, 2, 0, 0, 0, 2], [2, 3, 3], device); // 2I ~ I
    expect(Array.from(values(native.warpPerspective(t, eye, 5, 7, 0)))).toEqual(Array.from(data));
  });

  it('rotate by +90 / -90 degrees on a square image equals torch.rot90 (counter-clockwise / clockwise)', () => {
    const s = 5,
      c = 2;
    const { data, t } = img([2, c, s, s], 2);
    const y = values(native.rotate(t, tensor([90, -90], [2], device), 0));
    for (let ch = 0; ch < c; ch++)
      for (let r = 0; r < s; r++)
        for (let col = 0; col < s; col++) {
          // +90 (counter-clockwise, torchvision): out[r][c] = in[c][s-1-r], i.e. flip(transpose) vertically.
          expect(y[(0 * c + ch) * s * s + r * s + col]).toBe(data[(0 * c + ch) * s * s + col * s + (s - 1 - r)]);
          // -90 (clockwise): out[r][c] = in[s-1-c][r].
          expect(y[(1 * c + ch) * s * s + r * s + col]).toBe(data[(1 * c + ch) * s * s + (s - 1 - col) * s + r]);
        }
  });

  it('four quarter turns give back the image in the interior of a non-square image', () => {
    const h = 6,
      w = 8;
    const { data, t } = img([1, 1, h, w], 3);
    let y = t;
    for (let k = 0; k < 4; k++) y = native.rotate(y, 90, -1);
    const out = values(y);
    for (let r = 0; r < h; r++)
      for (let col = 0; col < w; col++) {
        // The central h x h square maps onto itself; the side columns leave the frame.
        const inside = col >= (w - h) / 2 && col < (w + h) / 2;
        expect(out[r * w + col]).toBe(inside ? data[r * w + col] : -1);
      }
  });

  it('rotate by an arbitrary angle matches a bilinear reference with fill at the borders', () => {
    const shape = [2, 2, 9, 12];
    const { data, t } = img(shape, 4);
    const y = values(native.rotate(t, tensor([30, -137.5], [2], device), 0.25));
    const m = [...rotationMatrix(30, 9, 12), ...rotationMatrix(-137.5, 9, 12)];
    expectClose(y, warpRef(data, shape, m, 9, 12, 0.25), 1e-4, 1e-4);
    // A scalar angle applies to every image.
    const both = values(native.rotate(t, 30, 0.25));
    expectClose(both.subarray(0, 2 * 9 * 12), y.subarray(0, 2 * 9 * 12), 0, 0);
  });

  it('integer translation moves pixels and fills the uncovered border', () => {
    const h = 4,
      w = 5;
    const { data, t } = img([1, 1, h, w], 5);
    const m = tensor([1, 0, 2, 0, 1, -1, 0, 0, 1], [1, 3, 3], device); // source = (x + 2, y - 1)
    const y = values(native.warpPerspective(t, m, h, w, 9));
    for (let r = 0; r < h; r++)
      for (let col = 0; col < w; col++) {
        const sr = r - 1,
          sc = col + 2;
        expect(y[r * w + col]).toBe(sr >= 0 && sc < w ? data[sr * w + sc] : 9);
      }
  });

  it('perspective warps with another output size match the reference; affine equals its 3x3 form', () => {
    const shape = [2, 3, 10, 13];
    const { data, t } = img(shape, 6);
    const m = [0.9, 0.15, 1.5, -0.1, 1.1, 0.5, 0.004, -0.003, 1, 1.3, 0, -2, 0, 0.7, 1, 0, 0, 1];
    const y = values(native.warpPerspective(t, tensor(m, [2, 3, 3], device), 8, 15, -0.5));
    expectClose(y, warpRef(data, shape, m, 8, 15, -0.5), 1e-4, 1e-4);
    const a = [0.8, -0.3, 2, 0.25, 1.2, -1];
    const ya = values(native.affine(t, tensor([...a, ...a], [2, 2, 3], device), 11, 9, 0.3));
    const yp = values(native.warpPerspective(t, tensor([...a, 0, 0, 1, ...a, 0, 0, 1], [2, 3, 3], device), 11, 9, 0.3));
    expect(Array.from(ya)).toEqual(Array.from(yp));
  });

  // Produced once with PyTorch 1.13:
  //   import torch, torch.nn.functional as F
  //   x = torch.tensor([(i * 7 % 13) / 4 for i in range(24)], dtype=torch.float32).reshape(1, 2, 3, 4)
  //   for size in [(5, 7), (2, 3), (4, 2)]:
  //       print(size, F.interpolate(x, size=size, mode='bilinear', align_corners=False).flatten().tolist())
  const RESIZE_X = Float32Array.from({ length: 24 }, (_, i) => ((i * 7) % 13) / 4);
  const TORCH_RESIZE: [number, number, number[]][] = [
    [
      5,
      7,
      [
        0.0, 0.62500006, 1.625, 0.999999821, 0.375000209, 1.37500024, 2.0, 0.200000018, 0.825000048, 1.82500005, 1.19999981, 0.575000226,
        1.57500029, 2.20000005, 0.5, 1.125, 2.125, 1.49999976, 0.875000238, 1.87500024, 2.5, 0.800000072, 1.42500007, 2.42499995,
        1.79999983, 1.17500031, 2.17500019, 2.79999995, 1.0, 1.625, 2.625, 1.99999976, 1.37500024, 2.37500024, 3.0, 1.5, 0.964285612,
        0.107142806, 0.875000238, 1.64285707, 0.78571403, 0.25, 1.70000005, 1.16428566, 0.307142824, 1.07500029, 1.84285712, 0.985714078,
        0.449999988, 2.0, 1.46428561, 0.607142806, 1.37500024, 2.14285707, 1.28571403, 0.75, 2.30000019, 1.76428568, 0.907142878,
        1.67500031, 2.44285703, 1.5857141, 1.05000007, 2.5, 1.96428561, 1.10714281, 1.87500024, 2.64285707, 1.78571403, 1.25,
      ],
    ],
    [
      2,
      3,
      [0.416666687, 1.12499988, 1.83333349, 1.16666675, 1.87499988, 2.58333349, 1.375, 1.00000012, 0.624999821, 2.125, 1.75, 1.37499976],
    ],
    [4, 2, [0.875, 1.125, 1.1875, 1.4375, 1.5625, 1.8125, 1.875, 2.125, 0.75, 1.0, 1.0625, 1.3125, 1.4375, 1.6875, 1.75, 2.0]],
  ];

  it.each(TORCH_RESIZE)('resizeBilinear to %ix%i matches torch interpolate(align_corners=False)', (oh, ow, ref) => {
    const y = native.resizeBilinear(tensor(RESIZE_X, [1, 2, 3, 4], device), oh, ow);
    expect(y.shape).toEqual([1, 2, oh, ow]);
    expectClose(values(y), ref, 1e-6, 1e-6);
  });

  it('resizeBilinear matches the reference on odd sizes and is the identity at the same size', () => {
    const shape = [3, 2, 7, 5];
    const { data, t } = img(shape, 7);
    for (const [oh, ow] of [
      [3, 11],
      [13, 4],
      [1, 1],
      [70, 50],
    ])
      expectClose(values(native.resizeBilinear(t, oh, ow)), resizeRef(data, shape, oh, ow), 1e-5, 1e-6, `${oh}x${ow}`);
    expect(Array.from(values(native.resizeBilinear(t, 7, 5)))).toEqual(Array.from(data));
  });

  it('brightness scales, shifts and clamps per image', () => {
    const x = tensor([0, 0.5, 1, 0.2, 0.4, 0.9], [2, 1, 1, 3], device);
    expectClose(
      values(native.brightness(x, tensor([2, 0.5], [2], device), tensor([0, 0.1], [2], device), 0, 1)),
      [0, 1, 1, 0.2, 0.3, 0.55],
      1e-6,
      1e-7,
    );
    expectClose(values(native.brightness(x, 1, -0.3, 0, 1)), [0, 0.2, 0.7, 0, 0.1, 0.6], 1e-6, 1e-7);
    expectClose(values(native.brightness(x, 3, 0, -Infinity, Infinity)), [0, 1.5, 3, 0.6, 1.2, 2.7], 1e-6, 1e-7);
    const big = img([3, 3, 64, 64], 8);
    const y = values(native.brightness(big.t, tensor([1.5, 0.5, 1], [3], device), 0.1, 0.2, 0.8));
    const per = 3 * 64 * 64;
    const ref = Array.from(big.data, (v, i) => Math.min(0.8, Math.max(0.2, v * [1.5, 0.5, 1][Math.floor(i / per)] + 0.1)));
    expectClose(y, ref, 1e-6, 1e-6);
  });

  it('typed errors', () => {
    const { t } = img([2, 1, 4, 4], 9);
    const eye = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const singular = [1, 2, 0, 2, 4, 0, 0, 0, 1];
    expect(() => native.warpPerspective(t, tensor([...eye, ...singular], [2, 3, 3], device), 4, 4, 0)).toThrow(ValueError);
    expect(() => native.warpPerspective(t, tensor([...eye, ...singular], [2, 3, 3], device), 4, 4, 0)).toThrow(/matrices\[1\] is singular/);
    expect(() => native.warpPerspective(t, tensor([...eye, NaN, ...eye.slice(1)], [2, 3, 3], device), 4, 4, 0)).toThrow(/non-finite/);
    expect(() => native.warpPerspective(t, tensor([...eye], [1, 3, 3], device), 4, 4, 0)).toThrow(ShapeError);
    expect(() => native.warpPerspective(t, tensor([...eye, ...eye], [2, 3, 3], device), 0, 4, 0)).toThrow(ArgumentError);
    expect(() => native.warpPerspective(t, tensor([...eye, ...eye], [2, 3, 3], device), 4, 4, NaN)).toThrow(/'fill'/);
    expect(() => native.affine(t, tensor([1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0], [2, 2, 3], device), 4, 4, 0)).toThrow(ValueError);
    expect(() => native.affine(t, tensor([...eye, ...eye], [2, 3, 3], device), 4, 4, 0)).toThrow(/'matrices' must have shape \[2, 2, 3\]/);
    expect(() => native.rotate(t, NaN, 0)).toThrow(ValueError);
    expect(() => native.rotate(t, tensor([1, Infinity], [2], device), 0)).toThrow(ValueError);
    expect(() => native.rotate(t, tensor([1, 2, 3], [3], device), 0)).toThrow(ShapeError);
    expect(() => native.rotate(tensor([1, 2, 3, 4], [2, 2], device), 10, 0)).toThrow(/NCHW/);
    expect(() => native.rotate(native.full([1, 1, 2, 2], 0, 'int32', device), 10, 0)).toThrow(DTypeError);
    expect(() => native.resizeBilinear(t, 3, -1)).toThrow(ArgumentError);
    expect(() => native.resizeBilinear(tensor([], [1, 1, 0, 3], device), 3, 3)).toThrow(ShapeError);
    expect(() => native.brightness(t, 1, 0, 1, 0)).toThrow(/lo <= hi/);
    expect(() => native.brightness(t, tensor([1, 2, 3], [3], device), 0, 0, 1)).toThrow(ShapeError);
    expect(() => native.brightness(t, NaN, 0, 0, 1)).toThrow(ArgumentError);
  });
});
