#include "conv_bwi_span.h"

#include <algorithm>
#include <new>
#include <vector>

#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "../simd/aligned.h"
#include "../simd/simd.h"
#include "conv_window_pack.h"

// Built on x86 only: its kernel is the *_avx512.cpp file (simd.h).
#if NNLAB_X86_KERNELS

namespace nn::cpu {
namespace {

constexpr int64_t kRows = 2 * kPanelHeight;  // rows of a tile
constexpr int64_t kCols = 2 * kPanelWidth;   // columns of a tile (a pair of panels)
constexpr int64_t kMaxK = 256;               // one k block: the pair's panels (32 KB) stay in L1

// dx plane offset of output position q (oh * W + ow).
int64_t grid_of(const Conv2dArgs& a, int64_t q) { return (q / a.ow) * a.w + q % a.ow; }

// One tile's columns: output positions [q0, q0 + n) of an image, the windows of dy its two panels
// read and its span.
struct PairPlan {
  int64_t q0, base;  // base: the plane offset of position q0
  PanelWindow win[2];
  BwiSpan span;
};

// Builds the plan of positions [q0, q0 + n); false when their span is longer than the tile holds.
bool plan_pair(const Conv2dArgs& a, int64_t q0, int64_t n, PairPlan& p) {
  p.q0 = q0;
  p.base = grid_of(a, q0);
  int64_t src[kCols];
  for (int64_t j = 0; j < kCols; ++j) src[j] = j < n ? q0 + j : -1;
  // 16 consecutive positions (or fewer): always one window.
  if (!panel_window(src, &p.win[0]) || !panel_window(src + kPanelWidth, &p.win[1])) return false;
  const int64_t len = grid_of(a, q0 + n - 1) - p.base + 1;
  if (len > 16 * kMaxSpanVectors) return false;
  BwiSpan& s = p.span;
  s.nvec = static_cast<int>((len + 15) / 16);
  for (int v = 0; v < kMaxSpanVectors; ++v) {
    s.zmask[v] = s.smask[v] = 0;
    for (int l = 0; l < 16; ++l) s.idx[v][l] = 0;
  }
  for (int64_t j = 0; j < n; ++j) {
    const int64_t i = grid_of(a, q0 + j) - p.base;
    s.idx[i / 16][i % 16] = static_cast<int32_t>(j);
    s.zmask[i / 16] = static_cast<uint16_t>(s.zmask[i / 16] | (1u << (i % 16)));
  }
  for (int64_t i = 0; i < len; ++i) s.smask[i / 16] = static_cast<uint16_t>(s.smask[i / 16] | (1u << (i % 16)));
  return true;
}

// The tiles of one image (the same for every image), or empty when a span is too long.
std::vector<PairPlan> plan_image(const Conv2dArgs& a) {
  const int64_t Q = a.oh * a.ow;
  std::vector<PairPlan> pairs(static_cast<size_t>((Q + kCols - 1) / kCols));
  for (size_t j = 0; j < pairs.size(); ++j) {
    const int64_t q0 = static_cast<int64_t>(j) * kCols;
    if (!plan_pair(a, q0, std::min(kCols, Q - q0), pairs[j])) return {};
  }
  return pairs;
}

}  // namespace

bool bwi_span_apply(const Conv2dArgs& a) {
  const int64_t crs = (a.c / a.groups) * a.r * a.s;
  if (!(use_avx512() && a.groups == 1 && a.stride_h == 1 && a.stride_w == 1 && a.pad_h == 0 && a.pad_w == 0 &&
        crs % kRows == 0 && a.k <= kMaxK && a.oh * a.ow > 0))
    return false;
  // 32 positions from any column of an output row touch at most ceil(31 / OW) + 1 rows.
  const int64_t breaks = (kCols - 1 + a.ow - 1) / a.ow;
  return kCols + breaks * (a.w - a.ow) <= 16 * kMaxSpanVectors;
}

bool bwi_span(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  const std::vector<PairPlan> pairs = plan_image(a);
  if (pairs.empty()) return false;
  const int64_t K = a.k, C = a.c, taps = a.r * a.s, M = C * taps, Q = a.oh * a.ow, hw = a.h * a.w;
  const int64_t img_dy = K * Q, img_dx = C * hw;
  // W^T with rows (tap, c): with C >= 12 the 12 rows of a tile fall in 12 different planes (with
  // fewer channels two rows may add into one element; the tile adds in program order).
  PackedA wt;
  {
    std::vector<float> t(static_cast<size_t>(M * K));
    for (int64_t k = 0; k < K; ++k)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t tap = 0; tap < taps; ++tap) t[(tap * C + c) * K + k] = w[(k * C + c) * taps + tap];
    if (!pack_a_whole(false, t.data(), K, M, K, &wt)) throw std::bad_alloc();
  }
  std::vector<int64_t> rowoff(static_cast<size_t>(M));
  for (int64_t r = 0; r < a.r; ++r)
    for (int64_t s = 0; s < a.s; ++s)
      for (int64_t c = 0; c < C; ++c) rowoff[(r * a.s + s) * C + c] = c * hw + r * a.dil_h * a.w + s * a.dil_w;
  // One image range per thread (as the other passes split the batch), each with its own panels.
  const int64_t threads = num_threads(), nt = a.n >= threads && threads > 1 ? threads : 1;
  std::vector<AlignedFloats> panels;
  for (int64_t t = 0; t < nt; ++t) panels.emplace_back(2 * K * kPanelWidth);
  const int64_t tiles = static_cast<int64_t>(pairs.size()) * (M / kRows);
  parallel_tasks(nt, [&](int64_t task) {
    float* b0 = panels[task].get();
    float* b1 = b0 + K * kPanelWidth;
    float* rows[kRows];
    for (int64_t n = a.n * task / nt; n < a.n * (task + 1) / nt; ++n) {
      float* dxn = dx + n * img_dx;
      std::fill_n(dxn, img_dx, 0.f);
      const float* dyn = dy + n * img_dy;
      // The next image's dy, prefetched a few lines per tile: the packing reads it as K strided
      // streams that the hardware prefetcher does not follow.
      const char* pf = reinterpret_cast<const char*>(dyn + img_dy);
      const char* pf_end = n + 1 < a.n * (task + 1) / nt ? pf + img_dy * sizeof(float) : pf;
      const int64_t pf_lines = (img_dy * 4 / 64 + tiles - 1) / tiles;
      for (const PairPlan& pp : pairs) {
        pack_window_panel_avx512(dyn, Q, K, pp.win[0], b0);
        pack_window_panel_avx512(dyn, Q, K, pp.win[1], b1);
        for (int64_t i0 = 0; i0 < M; i0 += kRows) {
          for (int64_t l = 0; l < pf_lines && pf < pf_end; ++l, pf += 64) __builtin_prefetch(pf, 0, 3);
          for (int64_t r = 0; r < kRows; ++r) rows[r] = dxn + rowoff[i0 + r] + pp.base;
          bwi_span_tile_avx512(K, wt.data + i0 * K, kPanelHeight * K, b0, b1, rows, pp.span);
        }
      }
    }
  });
  return true;
}

}  // namespace nn::cpu

#endif  // NNLAB_X86_KERNELS
