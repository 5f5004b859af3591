// Image transforms on NCHW float32 batches. Sampling positions depend only on the output
// pixel, so each task computes the taps of one output row once and reuses them for every
// channel.
#include <algorithm>
#include <vector>

#include "../core/thread_pool.h"
#include "../kernels/image.h"
#include "cpu_backend.h"

namespace nn {

void CpuBackend::warp_perspective(const WarpArgs& a, const float* x, const float* matrices, float* y) {
  const int64_t plane_in = a.h * a.w, plane_out = a.oh * a.ow;
  if (a.n * a.c * plane_out == 0) return;
  int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, a.ow * a.c));
  parallel_for(a.n * a.oh, grain, [&](int64_t lo, int64_t hi) {
    std::vector<BilinearTaps> taps(static_cast<size_t>(a.ow));
    for (int64_t r = lo; r < hi; ++r) {
      int64_t img = r / a.oh, oy = r % a.oh;
      const float* m = matrices + 9 * img;
      for (int64_t ox = 0; ox < a.ow; ++ox) {
        float sx = 0.f, sy = 0.f;
        bool ok = homography_apply(m, static_cast<float>(ox), static_cast<float>(oy), sx, sy);
        taps[ox] = bilinear_taps(ok ? sx : -2.f, ok ? sy : -2.f, a.h, a.w);
      }
      for (int64_t ch = 0; ch < a.c; ++ch) {
        const float* src = x + (img * a.c + ch) * plane_in;
        float* dst = y + (img * a.c + ch) * plane_out + oy * a.ow;
        for (int64_t ox = 0; ox < a.ow; ++ox) dst[ox] = bilinear_sample(src, taps[ox], a.fill);
      }
    }
  });
}

void CpuBackend::resize_bilinear(const WarpArgs& a, const float* x, float* y) {
  const int64_t planes = a.n * a.c;
  if (planes * a.oh * a.ow == 0) return;
  const float sy = static_cast<float>(a.h) / static_cast<float>(a.oh);
  const float sx = static_cast<float>(a.w) / static_cast<float>(a.ow);
  std::vector<LinearTap> tx(static_cast<size_t>(a.ow)), ty(static_cast<size_t>(a.oh));
  for (int64_t i = 0; i < a.ow; ++i) tx[i] = resize_source_tap(i, a.w, sx);
  for (int64_t i = 0; i < a.oh; ++i) ty[i] = resize_source_tap(i, a.h, sy);
  int64_t grain = std::max<int64_t>(1, 4096 / a.ow);
  parallel_for(planes * a.oh, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t p = r / a.oh, oy = r % a.oh;
      const LinearTap& t = ty[oy];
      const float* row0 = x + p * a.h * a.w + t.i0 * a.w;
      const float* row1 = x + p * a.h * a.w + t.i1 * a.w;
      float* dst = y + r * a.ow;
      // Torch interpolates along x first, then blends the two rows.
      for (int64_t ox = 0; ox < a.ow; ++ox) {
        const LinearTap& u = tx[ox];
        float top = u.l0 * row0[u.i0] + u.l1 * row0[u.i1];
        float bot = u.l0 * row1[u.i0] + u.l1 * row1[u.i1];
        dst[ox] = t.l0 * top + t.l1 * bot;
      }
    }
  });
}

void CpuBackend::brightness(const float* x, const float* factor, const float* shift, float* y, int64_t n,
                            int64_t per_image, float lo, float hi) {
  if (n * per_image == 0) return;
  parallel_for(n * per_image, 1 << 15, [&](int64_t b, int64_t e) {
    while (b < e) {
      int64_t img = b / per_image;
      int64_t stop = std::min(e, (img + 1) * per_image);
      float f = factor[img], s = shift[img];
      for (int64_t i = b; i < stop; ++i) y[i] = brightness_apply(x[i], f, s, lo, hi);
      b = stop;
    }
  });
}

}  // namespace nn
