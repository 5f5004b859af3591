// 2-D pooling. Forward: one thread per output element. Backward: one thread per input element
// gathering the outputs whose windows cover it, in the (oh, ow) order the CPU backend adds
// them, so no atomics are needed and sums are deterministic.
#pragma once
#include <cstdint>

#include "../../native/backend.h"
#include "../../native/kernels/pool.h"
#include "common.cuh"

namespace nn::cuda {

// Output rows/cols whose raw window [o*s - p, o*s - p + k) contains input position i.
NN_DEVICE void covering_outputs(int64_t i, int64_t k, int64_t stride, int64_t pad, int64_t out, int64_t* lo,
                                int64_t* hi) {
  int64_t num = i + pad - k + 1;  // o*stride >= num
  int64_t l = num <= 0 ? 0 : (num + stride - 1) / stride;
  int64_t h = (i + pad) / stride + 1;  // o*stride <= i + pad
  if (h > out) h = out;
  *lo = l;
  *hi = h;
}

// Input element t of the pooled planes: its plane pl, place q = ih * w + iw in the plane, and the
// output rows [oh0, oh1) and columns [ow0, ow1) whose raw windows contain it.
struct CoveredInput {
  int64_t pl, q, ih, iw, oh0, oh1, ow0, ow1;
};
NN_DEVICE CoveredInput covered_input(const Pool2dArgs& a, int64_t t) {
  CoveredInput c;
  const int64_t hw = a.h * a.w;
  c.pl = t / hw;
  c.q = t % hw;
  c.ih = c.q / a.w;
  c.iw = c.q % a.w;
  covering_outputs(c.ih, a.kh, a.stride_h, a.pad_h, a.oh, &c.oh0, &c.oh1);
  covering_outputs(c.iw, a.kw, a.stride_w, a.pad_w, a.ow, &c.ow0, &c.ow1);
  return c;
}

static __global__ void maxpool_forward_kernel(Pool2dArgs a, const float* x, float* y, int32_t* indices) {
  const int64_t ohw = a.oh * a.ow;
  NN_GRID_STRIDE(t, a.n * a.c * ohw) {
    const int64_t pl = t / ohw, oh = (t % ohw) / a.ow, ow = t % a.ow;
    const float* xp = x + pl * a.h * a.w;
    int64_t h0, h1, w0, w1, unused;
    pool_window(oh, a.h, a.kh, a.stride_h, a.pad_h, &h0, &h1, &unused);
    pool_window(ow, a.w, a.kw, a.stride_w, a.pad_w, &w0, &w1, &unused);
    float best = -INFINITY;
    int64_t arg = h0 * a.w + w0;
    for (int64_t ih = h0; ih < h1; ++ih)
      for (int64_t iw = w0; iw < w1; ++iw) {
        float v = xp[ih * a.w + iw];
        if (maxpool_takes(v, best)) {
          best = v;
          arg = ih * a.w + iw;
        }
      }
    y[t] = best;
    indices[t] = static_cast<int32_t>(arg);
  }
}

static __global__ void maxpool_backward_kernel(Pool2dArgs a, const float* dy, const int32_t* indices, float* dx) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
  NN_GRID_STRIDE(t, a.n * a.c * hw) {
    const CoveredInput c = covered_input(a, t);
    const float* gp = dy + c.pl * ohw;
    const int32_t* ip = indices + c.pl * ohw;
    float acc = 0.f;
    for (int64_t oh = c.oh0; oh < c.oh1; ++oh)
      for (int64_t ow = c.ow0; ow < c.ow1; ++ow)
        if (ip[oh * a.ow + ow] == c.q) acc += gp[oh * a.ow + ow];
    dx[t] = acc;
  }
}

NN_DEVICE int64_t avg_count(const Pool2dArgs& a, int64_t h0, int64_t h1, int64_t hpad, int64_t w0, int64_t w1,
                            int64_t wpad) {
  return a.count_include_pad ? hpad * wpad : (h1 - h0) * (w1 - w0);
}

static __global__ void avgpool_forward_kernel(Pool2dArgs a, const float* x, float* y) {
  const int64_t ohw = a.oh * a.ow;
  NN_GRID_STRIDE(t, a.n * a.c * ohw) {
    const int64_t pl = t / ohw, oh = (t % ohw) / a.ow, ow = t % a.ow;
    const float* xp = x + pl * a.h * a.w;
    int64_t h0, h1, hpad, w0, w1, wpad;
    pool_window(oh, a.h, a.kh, a.stride_h, a.pad_h, &h0, &h1, &hpad);
    pool_window(ow, a.w, a.kw, a.stride_w, a.pad_w, &w0, &w1, &wpad);
    float s = 0.f;
    for (int64_t ih = h0; ih < h1; ++ih)
      for (int64_t iw = w0; iw < w1; ++iw) s += xp[ih * a.w + iw];
    int64_t count = avg_count(a, h0, h1, hpad, w0, w1, wpad);
    y[t] = count > 0 ? s / static_cast<float>(count) : 0.f;
  }
}

static __global__ void avgpool_backward_kernel(Pool2dArgs a, const float* dy, float* dx) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
  NN_GRID_STRIDE(t, a.n * a.c * hw) {
    const CoveredInput c = covered_input(a, t);
    const float* gp = dy + c.pl * ohw;
    float acc = 0.f;
    for (int64_t oh = c.oh0; oh < c.oh1; ++oh) {
      int64_t h0, h1, hpad;
      pool_window(oh, a.h, a.kh, a.stride_h, a.pad_h, &h0, &h1, &hpad);
      if (c.ih < h0 || c.ih >= h1) continue;
      for (int64_t ow = c.ow0; ow < c.ow1; ++ow) {
        int64_t w0, w1, wpad;
        pool_window(ow, a.w, a.kw, a.stride_w, a.pad_w, &w0, &w1, &wpad);
        if (c.iw < w0 || c.iw >= w1) continue;
        int64_t count = avg_count(a, h0, h1, hpad, w0, w1, wpad);
        if (count > 0) acc += gp[oh * a.ow + ow] / static_cast<float>(count);
      }
    }
    dx[t] = acc;
  }
}

static __global__ void adaptive_avgpool_forward_kernel(Pool2dArgs a, const float* x, float* y) {
  const int64_t ohw = a.oh * a.ow;
  NN_GRID_STRIDE(t, a.n * a.c * ohw) {
    const int64_t pl = t / ohw, oh = (t % ohw) / a.ow, ow = t % a.ow;
    const float* xp = x + pl * a.h * a.w;
    int64_t h0 = adaptive_start(oh, a.h, a.oh), h1 = adaptive_end(oh, a.h, a.oh);
    int64_t w0 = adaptive_start(ow, a.w, a.ow), w1 = adaptive_end(ow, a.w, a.ow);
    float s = 0.f;
    for (int64_t ih = h0; ih < h1; ++ih)
      for (int64_t iw = w0; iw < w1; ++iw) s += xp[ih * a.w + iw];
    y[t] = s / static_cast<float>((h1 - h0) * (w1 - w0));
  }
}

static __global__ void adaptive_avgpool_backward_kernel(Pool2dArgs a, const float* dy, float* dx) {
  const int64_t hw = a.h * a.w, ohw = a.oh * a.ow;
  NN_GRID_STRIDE(t, a.n * a.c * hw) {
    const int64_t pl = t / hw, q = t % hw, ih = q / a.w, iw = q % a.w;
    const float* gp = dy + pl * ohw;
    float acc = 0.f;
    for (int64_t oh = 0; oh < a.oh; ++oh) {
      int64_t h0 = adaptive_start(oh, a.h, a.oh), h1 = adaptive_end(oh, a.h, a.oh);
      if (ih < h0 || ih >= h1) continue;
      for (int64_t ow = 0; ow < a.ow; ++ow) {
        int64_t w0 = adaptive_start(ow, a.w, a.ow), w1 = adaptive_end(ow, a.w, a.ow);
        if (iw < w0 || iw >= w1) continue;
        acc += gp[oh * a.ow + ow] / static_cast<float>((h1 - h0) * (w1 - w0));
      }
    }
    dx[t] = acc;
  }
}

}  // namespace nn::cuda
