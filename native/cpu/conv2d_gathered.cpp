#include "conv2d_gathered.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "gemm.h"
#include "simd.h"

namespace nn::cpu {
namespace {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

float* aligned_floats(int64_t n) {
  const size_t bytes = static_cast<size_t>(round_up(std::max<int64_t>(n, 1) * 4, 64));
  float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) throw std::bad_alloc();
  return p;
}

// Largest k block of the weight gradient: the packed dy block (K x kc) stays within half of L2
// next to the streamed panels, and kc <= 256 keeps a lowered panel (16 x kc) in L1.
int64_t max_k_block(int64_t k) {
  const int64_t kc = 65536 / round_up(k, kPanelHeight);
  return std::max<int64_t>(64, std::min<int64_t>(256, kc / 8 * 8));
}

}  // namespace

bool gathered_apply(const Conv2dArgs& a) {
  return use_avx2() && a.groups == 1 && a.stride_h == 1 && a.stride_w == 1 && a.pad_h == 0 && a.pad_w == 0;
}

GatherScratch::GatherScratch(const ConvPlan& p) {
  const int64_t k = p.a.k;
  kcb = max_k_block(k);
  xrow.resize(static_cast<size_t>(p.crs));
  dyrow.resize(static_cast<size_t>(k));
  xcol.resize(static_cast<size_t>(kcb));
  dycol.resize(static_cast<size_t>(kcb));
  gx.resize(static_cast<size_t>(kcb / 8));
  gdy.resize(static_cast<size_t>(kcb / 8));
  a = aligned_floats(round_up(k, kPanelHeight) * kcb + 8);
  try {
    b = aligned_floats(kPanelWidth * kcb);
  } catch (...) {
    std::free(a);
    throw;
  }
}

GatherScratch::~GatherScratch() {
  std::free(a);
  std::free(b);
}

void backward_weight_gathered(const ConvPlan& p, const float* x, const float* dy, int64_t n0, int64_t n1, float* acc,
                              GatherScratch& s) {
  const Conv2dArgs& a = p.a;
  const int64_t Q = p.ohw, T = (n1 - n0) * Q, K = a.k, J = p.crs;
  const int64_t img_x = a.c * p.hw, img_dy = K * Q;
  if (T == 0) {
    std::fill_n(acc, K * J, 0.f);
    return;
  }
  for (int64_t c = 0, j = 0; c < a.c; ++c)
    for (int64_t r = 0; r < a.r; ++r)
      for (int64_t q = 0; q < a.s; ++q, ++j) s.xrow[j] = c * p.hw + r * a.dil_h * a.w + q * a.dil_w;
  for (int64_t k = 0; k < K; ++k) s.dyrow[k] = k * Q;
  const float* xb = x + n0 * img_x;
  const float* dyb = dy + n0 * img_dy;
  const GatherRows dym{dyb, s.dyrow.data(), K, dy, dy + a.n * img_dy};
  // Equal blocks (a ragged last one would run the micro-kernel on a short k loop).
  const int64_t kcb = round_up(ceil_div(T, ceil_div(T, s.kcb)), 8);
  for (int64_t t0 = 0; t0 < T; t0 += kcb) {
    const int64_t kc = std::min(kcb, T - t0), ng = ceil_div(kc, 8);
    for (int64_t t = t0, i = 0; t < t0 + kc; ++t, ++i) {
      const int64_t n = t / Q, q = t % Q;
      s.xcol[i] = n * img_x + (q / a.ow) * a.w + q % a.ow;
      s.dycol[i] = n * img_dy + q;
    }
    build_lane_groups(s.xcol.data(), kc, s.gx.data());
    build_lane_groups(s.dycol.data(), kc, s.gdy.data());
    pack_gather_at_avx2(dym, s.gdy.data(), ng, kc, kc, s.a);
    const float beta = t0 == 0 ? 0.f : 1.f;
    // One panel of 16 lowered rows at a time, multiplied while it is still in L1.
    for (int64_t j0 = 0; j0 < J; j0 += kPanelWidth) {
      const int64_t nj = std::min(kPanelWidth, J - j0);
      const GatherRows xm{xb, s.xrow.data() + j0, nj, x, x + a.n * img_x};
      pack_gather_bt_avx2(xm, s.gx.data(), ng, kc, kc, s.b);
      gemm_packed_block(s.a, s.b, K, nj, kc, acc + j0, J, beta);
    }
  }
}

}  // namespace nn::cpu
