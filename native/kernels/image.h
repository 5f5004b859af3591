// Per-pixel math of the image transforms, shared by the CPU backend and the CUDA kernels.
// Pixel centres sit at integer coordinates; a bilinear tap that falls outside the source
// image reads `fill`, which equals torchvision's grid_sample-with-mask blending of the fill
// value (out = sample * mask + fill * (1 - mask)).
#pragma once
#include <cmath>
#include <cstdint>

#include "hd.h"

namespace nn {

// Source coordinates of output pixel (x, y) under the 3x3 row-major matrix m (homogeneous).
// Returns false when the point maps to infinity (w == 0) or to a non-finite coordinate.
NN_HD bool homography_apply(const float* m, float x, float y, float& sx, float& sy) {
  float w = m[6] * x + m[7] * y + m[8];
  if (w == 0.f) return false;
  sx = (m[0] * x + m[1] * y + m[2]) / w;
  sy = (m[3] * x + m[4] * y + m[5]) / w;
  return sx == sx && sy == sy;
}

// The four taps of a bilinear sample at (sx, sy) in an h x w plane: flat offsets (-1 for taps
// outside the plane) and weights, ordered top-left, top-right, bottom-left, bottom-right.
struct BilinearTaps {
  int64_t idx[4];
  float w[4];
};

NN_HD BilinearTaps bilinear_taps(float sx, float sy, int64_t h, int64_t w) {
  BilinearTaps t;
  // Also rejects NaN; and keeps floor() of huge coordinates away from integer overflow.
  if (!(sx > -1.f && sx < static_cast<float>(w) && sy > -1.f && sy < static_cast<float>(h))) {
    for (int k = 0; k < 4; ++k) {
      t.idx[k] = -1;
      t.w[k] = k == 0 ? 1.f : 0.f;
    }  // all fill
    return t;
  }
  float fx = floorf(sx), fy = floorf(sy);
  int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
  float ax = sx - fx, ay = sy - fy;
  bool inx0 = x0 >= 0, inx1 = x0 + 1 < w, iny0 = y0 >= 0, iny1 = y0 + 1 < h;
  t.idx[0] = (iny0 && inx0) ? y0 * w + x0 : -1;
  t.idx[1] = (iny0 && inx1) ? y0 * w + x0 + 1 : -1;
  t.idx[2] = (iny1 && inx0) ? (y0 + 1) * w + x0 : -1;
  t.idx[3] = (iny1 && inx1) ? (y0 + 1) * w + x0 + 1 : -1;
  t.w[0] = (1.f - ax) * (1.f - ay);
  t.w[1] = ax * (1.f - ay);
  t.w[2] = (1.f - ax) * ay;
  t.w[3] = ax * ay;
  return t;
}

NN_HD float bilinear_sample(const float* plane, const BilinearTaps& t, float fill) {
  float acc = 0.f;
  for (int k = 0; k < 4; ++k) acc += t.w[k] * (t.idx[k] >= 0 ? plane[t.idx[k]] : fill);
  return acc;
}

// PyTorch's interpolate(mode='bilinear', align_corners=False) along one axis: output index
// `dst` reads source positions i0 and i1 with weights l0 and l1 (scale = in / out).
struct LinearTap {
  int64_t i0, i1;
  float l0, l1;
};

NN_HD LinearTap resize_source_tap(int64_t dst, int64_t in_size, float scale) {
  float src = scale * (static_cast<float>(dst) + 0.5f) - 0.5f;
  if (src < 0.f) src = 0.f;  // torch clamps the left border instead of extrapolating
  int64_t i0 = static_cast<int64_t>(src);
  if (i0 > in_size - 1) i0 = in_size - 1;
  LinearTap t;
  t.i0 = i0;
  t.i1 = i0 < in_size - 1 ? i0 + 1 : i0;
  float l1 = src - static_cast<float>(i0);
  t.l1 = l1 < 0.f ? 0.f : (l1 > 1.f ? 1.f : l1);
  t.l0 = 1.f - t.l1;
  return t;
}

NN_HD float brightness_apply(float x, float factor, float shift, float lo, float hi) {
  float v = x * factor + shift;
  return v < lo ? lo : (v > hi ? hi : v);  // NaN passes through, as torch.clamp
}

}  // namespace nn
