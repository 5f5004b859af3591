// Image transforms on NCHW batches: perspective warps, bilinear resize, brightness. One thread
// per output pixel; the warp computes its bilinear taps once and reuses them for every channel.
#pragma once
#include <cstdint>

#include "../../native/backend.h"
#include "../../native/kernels/image.h"
#include "common.cuh"

namespace nn::cuda {

static __global__ void warp_perspective_kernel(WarpArgs a, const float* x, const float* matrices, float* y) {
  const int64_t plane_in = a.h * a.w, plane_out = a.oh * a.ow;
  NN_GRID_STRIDE(t, a.n * plane_out) {
    const int64_t img = t / plane_out, oy = (t % plane_out) / a.ow, ox = t % a.ow;
    float sx = 0.f, sy = 0.f;
    bool ok = homography_apply(matrices + 9 * img, static_cast<float>(ox), static_cast<float>(oy), sx, sy);
    BilinearTaps taps = bilinear_taps(ok ? sx : -2.f, ok ? sy : -2.f, a.h, a.w);
    for (int64_t ch = 0; ch < a.c; ++ch)
      y[(img * a.c + ch) * plane_out + oy * a.ow + ox] = bilinear_sample(x + (img * a.c + ch) * plane_in, taps, a.fill);
  }
}

// PyTorch's bilinear interpolate (align_corners=False): along x first, then the two rows.
static __global__ void resize_bilinear_kernel(WarpArgs a, const float* x, float* y, float scale_y, float scale_x) {
  const int64_t plane_out = a.oh * a.ow;
  NN_GRID_STRIDE(t, a.n * a.c * plane_out) {
    const int64_t p = t / plane_out, oy = (t % plane_out) / a.ow, ox = t % a.ow;
    const LinearTap ty = resize_source_tap(oy, a.h, scale_y);
    const LinearTap u = resize_source_tap(ox, a.w, scale_x);
    const float* row0 = x + p * a.h * a.w + ty.i0 * a.w;
    const float* row1 = x + p * a.h * a.w + ty.i1 * a.w;
    float top = u.l0 * row0[u.i0] + u.l1 * row0[u.i1];
    float bot = u.l0 * row1[u.i0] + u.l1 * row1[u.i1];
    y[t] = ty.l0 * top + ty.l1 * bot;
  }
}

static __global__ void brightness_kernel(const float* x, const float* factor, const float* shift, float* y, int64_t n,
                                         int64_t per_image, float lo, float hi) {
  NN_GRID_STRIDE(t, n * per_image) {
    const int64_t img = t / per_image;
    y[t] = brightness_apply(x[t], factor[img], shift[img], lo, hi);
  }
}

}  // namespace nn::cuda
