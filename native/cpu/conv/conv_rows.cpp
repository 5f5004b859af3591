#include "conv_rows.h"
#include "../../core/flags.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "../../core/thread_pool.h"
#include "../simd/aligned.h"
#include "conv2d_gathered.h"
#include "conv_lowering.h"
#include "../simd/simd.h"

// Built on x86 only: its kernels are the *_avx2.cpp / *_avx512.cpp files (simd.h).
#if NNLAB_X86_KERNELS

namespace nn::cpu {
namespace {

constexpr int64_t kTilePositions = 12;

int64_t ceil_div(int64_t v, int64_t m) { return (v + m - 1) / m; }
int64_t round_up(int64_t v, int64_t m) { return ceil_div(v, m) * m; }

}  // namespace

// NNLAB_NO_ROW_TILES=1 turns it off, for A/B timing against the gathered GEMM.
bool rows_forward_apply(const Conv2dArgs& a) {
  const bool off = flags().no_row_tiles;
  if (off || !use_avx2() || a.stride_h != 1 || a.stride_w != 1) return false;
  const int64_t kg = a.k / a.groups, cg = a.c / a.groups, crs = cg * a.r * a.s;
  const int64_t plane = (a.h + 2 * a.pad_h) * (a.w + 2 * a.pad_w);
  // The per-task output scratch (one image's outputs of a group) stays within 16 MB.
  return kg >= 16 && crs >= 32 && a.ow >= 4 && cg * plane * 4 <= (int64_t(256) << 10) &&
         a.oh * a.ow * ((kg + 15) / 16 * 16) <= (int64_t(1) << 22);
}

namespace {

// The tiles of every (image, group), each item's outputs left position-major in its task's
// scratch ([Q, kp]) for emit(scratch, kp, image, group) to take out.
template <typename Emit>
void rows_run(const Conv2dArgs& a, const float* x, const float* w, const float* bias, Emit emit) {
  const ConvPlan p(a);
  const int64_t G = a.groups, K = p.kg, J = p.crs, kp = round_up(K, 16), Q = p.ohw;
  const LoweredInput in(a, x);  // stride 1: tap j of output (oh, ow) reads rows[j] + oh*roww + ow
  // Weights per group in channel blocks of 32 (16 for a last odd block), each block [J, width]
  // with its J steps contiguous (one block's rows, not rows of all kp channels 4*kp bytes apart,
  // which would crowd a few L1 sets); zero past K.
  AlignedFloats wt(G * J * kp), bp(G * kp);
  std::fill_n(bp.get(), G * kp, 0.f);
  for (int64_t g = 0; g < G; ++g) {
    for (int64_t k0 = 0; k0 < kp; k0 += 32) {
      const int64_t kw = std::min<int64_t>(32, kp - k0);
      float* dst = wt.get() + g * J * kp + k0 * J;
      for (int64_t j = 0; j < J; ++j)
        for (int64_t k = k0; k < k0 + kw; ++k) dst[j * kw + k - k0] = k < K ? w[(g * K + k) * J + j] : 0.f;
    }
    if (bias) std::copy_n(bias + g * K, K, bp.get() + g * kp);
  }
  const bool wide = use_avx512();
  bool runs3 = J % 3 == 0;
  for (int64_t j = 0; runs3 && j < G * J; j += 3)
    runs3 = in.rows[j + 1] == in.rows[j] + 1 && in.rows[j + 2] == in.rows[j] + 2;
  const auto tile_fn = wide ? rows_tile_avx512 : rows_tile_avx2;
  // One position-major output scratch per task, allocated here (never in a worker thread).
  const int64_t items = a.n * G, nt = std::max<int64_t>(1, std::min<int64_t>(num_threads(), items));
  std::vector<AlignedFloats> scratch;
  for (int64_t t = 0; t < nt; ++t) scratch.emplace_back(Q * kp);
  // Rows split into equal tiles (13 outputs as 7 + 6, not 12 + 1: a tile's weight loads are shared
  // by its outputs).
  const int64_t span = ceil_div(a.ow, ceil_div(a.ow, kTilePositions));
  // Every output is computed whole by one tile: any partition gives the same bits.
  parallel_tasks(nt, [&](int64_t task) {
    float* ys = scratch[task].get();
    for (int64_t ng = items * task / nt; ng < items * (task + 1) / nt; ++ng) {
      const int64_t n = ng / G, g = ng % G;
      const float* xb = in.base + n * in.img;
      // The next item's input band, prefetched a few lines per tile: the tiles read it as short
      // pieces of many planes' rows, which the hardware prefetcher does not follow.
      const int64_t nx = ng + 1, band = in.img / a.c * p.cg;
      const char* pf = nx < items * (task + 1) / nt
                           ? reinterpret_cast<const char*>(in.base + nx / G * in.img + in.rows[nx % G * J])
                           : nullptr;
      const char* pf_end = pf ? pf + band * sizeof(float) : pf;
      const int64_t pf_lines = ceil_div(band * 4, 64 * (kp / 32 + (kp % 32 != 0)) * a.oh * ceil_div(a.ow, span));
      // Channel blocks outermost: a block's weights stay in cache while the image's rows pass.
      for (int64_t k0 = 0; k0 < kp; k0 += 32) {
        const int kw = static_cast<int>(std::min<int64_t>(32, kp - k0));
        for (int64_t oh = 0; oh < a.oh; ++oh)
          for (int64_t ow = 0; ow < a.ow; ow += span) {
            const int np = static_cast<int>(std::min(span, a.ow - ow));
            for (int64_t l = 0; l < pf_lines && pf < pf_end; ++l, pf += 64) __builtin_prefetch(pf, 0, 3);
            tile_fn(RowTile{xb + oh * in.roww + ow, in.rows.data() + g * J, J, wt.get() + g * J * kp + k0 * J, kw,
                            bias ? bp.get() + g * kp + k0 : nullptr, ys + (oh * a.ow + ow) * kp + k0, kp, np, kw,
                            runs3});
          }
      }
      emit(ys, kp, n, g);
    }
  });
}

bool is_2x2_stride2(const Pool2dArgs& p) {
  return p.kh == 2 && p.kw == 2 && p.stride_h == 2 && p.stride_w == 2 && p.pad_h == 0 && p.pad_w == 0;
}

}  // namespace

void rows_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  const int64_t K = a.k / a.groups, Q = a.oh * a.ow;
  const auto unpack = use_avx512() ? rows_unpack_avx512 : rows_unpack_avx2;
  rows_run(a, x, w, bias,
           [&](const float* ys, int64_t kp, int64_t n, int64_t g) { unpack(ys, kp, K, Q, y + (n * a.k + g * K) * Q); });
}

bool rows_forward_pooled_apply(const Conv2dArgs& a, const Pool2dArgs& p) {
  return use_avx512() && is_2x2_stride2(p) && p.h == a.oh && p.w == a.ow && p.oh == a.oh / 2 && p.ow == a.ow / 2 &&
         p.oh >= 1 && p.ow >= 1 && rows_forward_apply(a);
}

void rows_forward_pooled(const Conv2dArgs& a, const Pool2dArgs& p, const float* x, const float* w, const float* bias,
                         float* y, bool relu) {
  const int64_t K = a.k / a.groups, PQ = p.oh * p.ow;
  rows_run(a, x, w, bias, [&](const float* ys, int64_t kp, int64_t n, int64_t g) {
    rows_pool_unpack_avx512(ys, kp, K, a.ow, p.oh, p.ow, relu, y + (n * a.k + g * K) * PQ);
  });
}

}  // namespace nn::cpu

#endif  // NNLAB_X86_KERNELS
