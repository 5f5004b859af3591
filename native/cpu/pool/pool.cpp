// 2-D pooling on the CPU: every (n, c) plane is independent, so planes are split statically
// over the pool and backward passes scatter only inside their own plane (deterministic, no
// atomics).
#include <algorithm>
#include <cmath>
#include <vector>

#include "../../core/thread_pool.h"
#include "../../kernels/pool.h"
#include "../cpu_backend.h"
#include "../simd/simd.h"
#include "maxpool_values.h"

namespace nn {
namespace {

// Grain in planes so that tiny planes are not spread one per wake-up.
int64_t plane_grain(int64_t plane_work) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(plane_work, 1)); }

// Backward of any max pool for one plane: zeros, then each gradient added at its index.
void scatter_plane(const Pool2dArgs& a, const float* gp, const int32_t* ip, float* dp) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
  std::fill_n(dp, hw, 0.f);
  for (int64_t q = 0; q < ohw; ++q) {
    int64_t idx = ip[q];
    if (idx >= 0 && idx < hw) dp[idx] += gp[q];  // the binding rejects others; never write outside
  }
}

template <typename Fn>
void over_planes(const Pool2dArgs& a, int64_t plane_work, Fn fn) {
  parallel_for(a.n * a.c, plane_grain(plane_work), [&](int64_t lo, int64_t hi) {
    for (int64_t pl = lo; pl < hi; ++pl) fn(pl);
  });
}

#if NNLAB_X86_KERNELS
// The seed CNN's pool, which has an AVX2 kernel.
bool is_2x2_stride2(const Pool2dArgs& a) {
  return a.kh == 2 && a.kw == 2 && a.stride_h == 2 && a.stride_w == 2 && a.pad_h == 0 && a.pad_w == 0;
}
// Small planes (at most 32 pooled outputs) whose flat run of outputs the AVX-512 kernels take
// 16 at a time across planes; split over the pool by planes.
bool small_planes_avx512(const Pool2dArgs& a) {
  return is_2x2_stride2(a) && cpu::use_avx512() && a.oh * a.ow >= 1 && a.oh * a.ow <= 32 &&
         a.n * a.c * a.h * a.w < (int64_t(1) << 31);
}

template <typename Fn>
void over_plane_ranges(const Pool2dArgs& a, int64_t plane_work, Fn fn) {
  parallel_for(a.n * a.c, plane_grain(plane_work), [&](int64_t lo, int64_t hi) { fn(lo, hi); });
}
#endif

}  // namespace

void CpuBackend::maxpool2d_forward(const Pool2dArgs& a, const float* x, float* y, int32_t* indices) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
#if NNLAB_X86_KERNELS
  if (small_planes_avx512(a)) {
    over_plane_ranges(a, 4 * ohw, [&](int64_t lo, int64_t hi) {
      cpu::maxpool2x2_planes_avx512(x + lo * hw, hi - lo, a.h, a.w, a.oh, a.ow, y + lo * ohw, indices + lo * ohw);
    });
    return;
  }
  if (is_2x2_stride2(a) && cpu::use_avx512()) {
    over_planes(a, 4 * ohw, [&](int64_t pl) {
      cpu::maxpool2x2_plane_avx512(x + pl * hw, a.h, a.w, a.oh, a.ow, y + pl * ohw, indices + pl * ohw);
    });
    return;
  }
  if (is_2x2_stride2(a) && cpu::use_avx2()) {
    over_planes(a, 4 * ohw, [&](int64_t pl) {
      cpu::maxpool2x2_plane_avx2(x + pl * hw, a.h, a.w, a.oh, a.ow, y + pl * ohw, indices + pl * ohw);
    });
    return;
  }
  if (cpu::use_avx2() && a.h * a.w < (int64_t(1) << 31)) {
    over_planes(a, ohw * a.kh * a.kw, [&](int64_t pl) {
      cpu::maxpool_plane_avx2(x + pl * hw, a.h, a.w, a.oh, a.ow, a.kh, a.kw, a.stride_h, a.stride_w, a.pad_h, a.pad_w,
                              y + pl * ohw, indices + pl * ohw);
    });
    return;
  }
#endif
  // Windows per output column computed once per call.
  std::vector<int32_t> wlo(static_cast<size_t>(a.ow)), whi(static_cast<size_t>(a.ow));
  for (int64_t ow = 0; ow < a.ow; ++ow) {
    int64_t w0, w1, unused;
    pool_window(ow, a.w, a.kw, a.stride_w, a.pad_w, &w0, &w1, &unused);
    wlo[ow] = static_cast<int32_t>(w0);
    whi[ow] = static_cast<int32_t>(w1);
  }
  over_planes(a, ohw * a.kh * a.kw, [&](int64_t pl) {
    const float* xp = x + pl * hw;
    float* yp = y + pl * ohw;
    int32_t* ip = indices + pl * ohw;
    for (int64_t oh = 0; oh < a.oh; ++oh) {
      int64_t h0, h1, unused;
      pool_window(oh, a.h, a.kh, a.stride_h, a.pad_h, &h0, &h1, &unused);
      for (int64_t ow = 0; ow < a.ow; ++ow) {
        const int32_t w0 = wlo[ow], w1 = whi[ow];
        float best = -INFINITY;
        int32_t arg =
            static_cast<int32_t>(h0 * a.w + w0);  // padding is -inf: an all -inf window reports its first cell
        for (int64_t ih = h0; ih < h1; ++ih) {
          const int32_t row = static_cast<int32_t>(ih * a.w);
          for (int32_t iw = w0; iw < w1; ++iw) {
            const float v = xp[row + iw];
            const bool take = maxpool_takes(v, best);
            best = take ? v : best;
            arg = take ? row + iw : arg;
          }
        }
        yp[oh * a.ow + ow] = best;
        ip[oh * a.ow + ow] = arg;
      }
    }
  });
}

bool CpuBackend::maxpool2d_forward_values(const Pool2dArgs& a, const float* x, float* y, bool relu) {
#if NNLAB_X86_KERNELS
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
  if (small_planes_avx512(a)) {
    over_plane_ranges(a, 4 * ohw, [&](int64_t lo, int64_t hi) {
      cpu::maxpool2x2_planes_values_avx512(x + lo * hw, hi - lo, a.h, a.w, a.oh, a.ow, y + lo * ohw, relu);
    });
    return true;
  }
  if (is_2x2_stride2(a) && cpu::use_avx512()) {
    over_planes(a, 4 * ohw, [&](int64_t pl) {
      cpu::maxpool2x2_plane_values_avx512(x + pl * hw, a.w, a.oh, a.ow, y + pl * ohw, relu);
    });
    return true;
  }
#endif
  return false;
}

void CpuBackend::maxpool2d_backward(const Pool2dArgs& a, const float* dy, const int32_t* indices, float* dx) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
#if NNLAB_X86_KERNELS
  const bool fast = is_2x2_stride2(a) && cpu::use_avx2(), wide = fast && cpu::use_avx512();
  if (small_planes_avx512(a)) {
    over_plane_ranges(a, ohw + hw, [&](int64_t lo, int64_t hi) {
      if (cpu::maxpool2x2_backward_planes_avx512(dy + lo * ohw, indices + lo * ohw, hi - lo, a.h, a.w, a.oh, a.ow,
                                                 dx + lo * hw))
        return;
      for (int64_t pl = lo; pl < hi; ++pl) scatter_plane(a, dy + pl * ohw, indices + pl * ohw, dx + pl * hw);
    });
    return;
  }
#endif
  over_planes(a, ohw + hw, [&](int64_t pl) {
    float* dp = dx + pl * hw;
    const float* gp = dy + pl * ohw;
    const int32_t* ip = indices + pl * ohw;
#if NNLAB_X86_KERNELS
    if (wide ? cpu::maxpool2x2_backward_plane_avx512(gp, ip, a.h, a.w, a.oh, a.ow, dp)
             : fast && cpu::maxpool2x2_backward_plane_avx2(gp, ip, a.h, a.w, a.oh, a.ow, dp))
      return;
#endif
    scatter_plane(a, gp, ip, dp);
  });
}

namespace {

// Calls f(o, h0, h1, w0, w1, count) for each output cell o = oh * ow + ow of an average-pooling
// plane: its input window [h0, h1) x [w0, w1) clipped to the image, and the divisor
// count_include_pad asks for.
template <class F>
inline void avg_windows(const Pool2dArgs& a, F f) {
  for (int64_t oh = 0; oh < a.oh; ++oh) {
    int64_t h0, h1, hpad;
    pool_window(oh, a.h, a.kh, a.stride_h, a.pad_h, &h0, &h1, &hpad);
    for (int64_t ow = 0; ow < a.ow; ++ow) {
      int64_t w0, w1, wpad;
      pool_window(ow, a.w, a.kw, a.stride_w, a.pad_w, &w0, &w1, &wpad);
      f(oh * a.ow + ow, h0, h1, w0, w1, a.count_include_pad ? hpad * wpad : (h1 - h0) * (w1 - w0));
    }
  }
}

}  // namespace

void CpuBackend::avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
  over_planes(a, ohw * a.kh * a.kw, [&](int64_t pl) {
    const float* xp = x + pl * hw;
    float* yp = y + pl * ohw;
    avg_windows(a, [&](int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1, int64_t count) {
      float s = 0.f;
      for (int64_t ih = h0; ih < h1; ++ih)
        for (int64_t iw = w0; iw < w1; ++iw) s += xp[ih * a.w + iw];
      yp[o] = count > 0 ? s / static_cast<float>(count) : 0.f;
    });
  });
}

void CpuBackend::avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
  over_planes(a, ohw * a.kh * a.kw + hw, [&](int64_t pl) {
    float* dp = dx + pl * hw;
    std::fill_n(dp, hw, 0.f);
    const float* gp = dy + pl * ohw;
    avg_windows(a, [&](int64_t o, int64_t h0, int64_t h1, int64_t w0, int64_t w1, int64_t count) {
      if (count <= 0) return;
      float g = gp[o] / static_cast<float>(count);
      for (int64_t ih = h0; ih < h1; ++ih)
        for (int64_t iw = w0; iw < w1; ++iw) dp[ih * a.w + iw] += g;
    });
  });
}

namespace {

// Adaptive pooling to the input's own size (ResNet's global pool on 1x1 maps at 32x32 inputs):
// every bin is one pixel, so both passes are 0 + v (the bins' sum) over all planes at once, not
// plane by plane with the bin arithmetic.
bool adaptive_identity(const Pool2dArgs& a, const float* src, float* dst) {
  if (a.h != a.oh || a.w != a.ow) return false;
  parallel_for(a.n * a.c * a.h * a.w, 1 << 16, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) dst[i] = 0.f + src[i];
  });
  return true;
}

}  // namespace

void CpuBackend::adaptive_avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
  if (adaptive_identity(a, x, y)) return;
  over_planes(a, hw + ohw, [&](int64_t pl) {
    const float* xp = x + pl * hw;
    float* yp = y + pl * ohw;
    for (int64_t oh = 0; oh < a.oh; ++oh) {
      int64_t h0 = adaptive_start(oh, a.h, a.oh), h1 = adaptive_end(oh, a.h, a.oh);
      for (int64_t ow = 0; ow < a.ow; ++ow) {
        int64_t w0 = adaptive_start(ow, a.w, a.ow), w1 = adaptive_end(ow, a.w, a.ow);
        float s = 0.f;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) s += xp[ih * a.w + iw];
        yp[oh * a.ow + ow] = s / static_cast<float>((h1 - h0) * (w1 - w0));
      }
    }
  });
}

void CpuBackend::adaptive_avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
  if (adaptive_identity(a, dy, dx)) return;
  over_planes(a, hw + ohw, [&](int64_t pl) {
    float* dp = dx + pl * hw;
    std::fill_n(dp, hw, 0.f);
    const float* gp = dy + pl * ohw;
    for (int64_t oh = 0; oh < a.oh; ++oh) {
      int64_t h0 = adaptive_start(oh, a.h, a.oh), h1 = adaptive_end(oh, a.h, a.oh);
      for (int64_t ow = 0; ow < a.ow; ++ow) {
        int64_t w0 = adaptive_start(ow, a.w, a.ow), w1 = adaptive_end(ow, a.w, a.ow);
        float g = gp[oh * a.ow + ow] / static_cast<float>((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) dp[ih * a.w + iw] += g;
      }
    }
  });
}

}  // namespace nn
