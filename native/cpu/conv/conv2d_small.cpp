#include "conv2d_small.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "../../core/thread_pool.h"
#include "../simd/aligned.h"
#include "../gemm/gemm.h"
#include "../gemm/transpose.h"

namespace nn::cpu {
namespace {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

constexpr int64_t kW = kPanelWidth, kH = kPanelHeight;
constexpr int64_t kMaxBlock = 256;  // k steps of one packed block (a 16-wide panel is 16 KB)
constexpr int64_t kMBlock = 144;    // rows of A multiplied with one B panel before the next

// For each of P targets (output positions, or input pixels), the (tap, source row) pairs that
// contribute to it, in tap order: CSR lists. Only the taps some target uses are packed: slot[t]
// is tap t's place among them (-1 when unused; a 3x3 kernel on a 1x1 map uses only its centre).
struct Segments {
  std::vector<int64_t> start;  // P + 1
  std::vector<int64_t> tap, base;
  std::vector<int64_t> slot;
  int64_t used = 0;
  void number_taps(int64_t taps) {
    slot.assign(static_cast<size_t>(taps), -1);
    for (int64_t t : tap) slot[t] = 0;
    for (int64_t t = 0; t < taps; ++t)
      if (slot[t] == 0) slot[t] = used++;
  }
};

// Output position q = (oh, ow) reads input pixel src = ih*W + iw through tap t = r*S + s.
Segments forward_segments(const Conv2dArgs& a) {
  Segments sg;
  sg.start.push_back(0);
  for (int64_t oh = 0; oh < a.oh; ++oh)
    for (int64_t ow = 0; ow < a.ow; ++ow) {
      for (int64_t r = 0; r < a.r; ++r) {
        const int64_t ih = oh * a.stride_h - a.pad_h + r * a.dil_h;
        if (ih < 0 || ih >= a.h) continue;
        for (int64_t s = 0; s < a.s; ++s) {
          const int64_t iw = ow * a.stride_w - a.pad_w + s * a.dil_w;
          if (iw < 0 || iw >= a.w) continue;
          sg.tap.push_back(r * a.s + s);
          sg.base.push_back(ih * a.w + iw);
        }
      }
      sg.start.push_back(static_cast<int64_t>(sg.tap.size()));
    }
  sg.number_taps(a.r * a.s);
  return sg;
}

// The adjoint lists: input pixel p receives from output position q through tap t.
Segments input_segments(const Conv2dArgs& a) {
  Segments sg;
  sg.start.push_back(0);
  for (int64_t ih = 0; ih < a.h; ++ih)
    for (int64_t iw = 0; iw < a.w; ++iw) {
      for (int64_t r = 0; r < a.r; ++r) {
        const int64_t th = ih + a.pad_h - r * a.dil_h;
        if (th < 0 || th % a.stride_h != 0 || th / a.stride_h >= a.oh) continue;
        for (int64_t s = 0; s < a.s; ++s) {
          const int64_t tw = iw + a.pad_w - s * a.dil_w;
          if (tw < 0 || tw % a.stride_w != 0 || tw / a.stride_w >= a.ow) continue;
          sg.tap.push_back(r * a.s + s);
          sg.base.push_back((th / a.stride_h) * a.ow + tw / a.stride_w);
        }
      }
      sg.start.push_back(static_cast<int64_t>(sg.tap.size()));
    }
  sg.number_taps(a.r * a.s);
  return sg;
}

// One product per target o of a Segments list (targets with no segments are skipped):
//   dst[(m*dst_stride + o)*ld + n] = sum over (tap, base) of o, i < inner:
//       A[m, tap*inner + i] * src[(base + i*src_stride)*ld + n]
// for m < M and images n in [n0, n1); A packed (gemm.h micro-panels) with k = used taps * inner,
// tap t at k = slot[t]*inner.
struct Products {
  const float* a;
  int64_t a_k;
  int64_t m, inner;
  const float* src;
  int64_t src_stride;
  float* dst;
  int64_t dst_stride, ld;
};

struct Piece {
  int64_t a_k;  // first k step of the piece in A
  int64_t row;  // first source row
  int64_t len;  // steps
};

void run_products(const Products& pr, const Segments& sg, int64_t targets, int64_t n0, int64_t n1, float* bblk) {
  const int64_t nn = n1 - n0, panels = ceil_div(nn, kW), M = pr.m, AK = pr.a_k;
  for (int64_t o = 0; o < targets; ++o) {
    const int64_t s0 = sg.start[o], s1 = sg.start[o + 1];
    if (s0 == s1) continue;  // nothing reaches this target: its rows are left unwritten
    // Equal k blocks over the target's taps (a ragged last block would run short k loops).
    const int64_t total = (s1 - s0) * pr.inner;
    const int64_t kcb = ceil_div(total, ceil_div(total, kMaxBlock));
    int64_t seg = s0, i = 0;  // walk position: segment and row inside it
    bool first = true;
    while (seg < s1) {
      Piece pieces[kMaxTileRanges];
      int np = 0;
      int64_t kc = 0;
      while (seg < s1 && kc < kcb && np < kMaxTileRanges) {
        const int64_t take = std::min(pr.inner - i, kcb - kc);
        pieces[np++] = Piece{sg.slot[sg.tap[seg]] * pr.inner + i, sg.base[seg] + i * pr.src_stride, take};
        kc += take;
        i += take;
        if (i == pr.inner) {
          ++seg;
          i = 0;
        }
      }
      // Pack the block: each source row's images go to the panels 16 at a time.
      int64_t step = 0;
      for (int p = 0; p < np; ++p)
        for (int64_t r = 0; r < pieces[p].len; ++r, ++step) {
          const float* row = pr.src + (pieces[p].row + r * pr.src_stride) * pr.ld + n0;
          float* out = bblk + step * kW;
          int64_t j = 0;
          for (; j + kW <= nn; j += kW) std::memcpy(out + j * kc, row + j, sizeof(float) * kW);
          if (j < nn) {
            std::memcpy(out + j * kc, row + j, sizeof(float) * (nn - j));
            std::fill_n(out + j * kc + (nn - j), kW - (nn - j), 0.f);
          }
        }
      const float beta = first ? 0.f : 1.f;
      first = false;
      for (int64_t mb = 0; mb < M; mb += kMBlock) {
        const int64_t me = std::min(M, mb + kMBlock);
        for (int64_t j = 0; j < panels; ++j) {
          const int n = static_cast<int>(std::min(kW, nn - j * kW));
          const float* bp = bblk + j * kW * kc;
          // Two micro-panels (12 rows) per tile: the AVX-512 kernel keeps 12 accumulators busy.
          for (int64_t i0 = mb; i0 < me; i0 += 2 * kH) {
            const float* ap[kMaxTileRanges];
            int64_t len[kMaxTileRanges];
            for (int p = 0; p < np; ++p) {
              ap[p] = pr.a + i0 * AK + pieces[p].a_k * kH;
              len[p] = pieces[p].len;
            }
            float* c = pr.dst + (i0 * pr.dst_stride + o) * pr.ld + n0 + j * kW;
            gemm_tile_ranges(np, ap, kH * AK, len, bp, c, pr.dst_stride * pr.ld,
                             static_cast<int>(std::min(2 * kH, me - i0)), n, beta);
          }
        }
      }
    }
  }
}

// Image ranges of the tasks: multiples of 16 (whole panels) except the last.
std::vector<int64_t> image_splits(int64_t n, int64_t tasks) {
  std::vector<int64_t> at{0};
  for (int64_t t = 1; t < tasks; ++t) at.push_back(std::min(n, round_up(n * t / tasks, kW)));
  at.push_back(n);
  return at;
}

// The largest k block a Products call packs for n images.
int64_t block_floats(const Segments& sg, int64_t inner, int64_t targets, int64_t n) {
  int64_t kc = 0;
  for (int64_t o = 0; o < targets; ++o) {
    const int64_t total = (sg.start[o + 1] - sg.start[o]) * inner;
    if (total > 0) kc = std::max(kc, ceil_div(total, ceil_div(total, kMaxBlock)));
  }
  return std::max<int64_t>(kc, 1) * round_up(n, kW);
}

// Runs Products over the batch, one image range per thread.
void products_over_images(const Products& pr, const Segments& sg, int64_t targets, int64_t n) {
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), n / kW));
  const std::vector<int64_t> at = image_splits(n, tasks);
  std::vector<AlignedFloats> blocks;
  for (int64_t t = 0; t < tasks; ++t) blocks.emplace_back(block_floats(sg, pr.inner, targets, at[t + 1] - at[t]));
  parallel_tasks(tasks, [&](int64_t t) { run_products(pr, sg, targets, at[t], at[t + 1], blocks[t].get()); });
}

// The used taps of w [K, C, R, S] packed as A micro-panels (gemm.h): rows m and k steps
// (slot, i) with (m, i) = (k, c) for the forward, (c, k) transposed for the input gradient.
AlignedFloats pack_taps(const Conv2dArgs& a, const float* w, const Segments& sg, bool transposed) {
  const int64_t taps = a.r * a.s, M = transposed ? a.c : a.k, inner = transposed ? a.k : a.c;
  const int64_t ak = sg.used * inner, panels = ceil_div(M, kH);
  AlignedFloats out(panels * kH * ak + 8);
  parallel_for(panels, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      for (int64_t t = 0; t < taps; ++t) {
        if (sg.slot[t] < 0) continue;
        float* o = out.get() + (i * ak + sg.slot[t] * inner) * kH;
        for (int64_t j = 0; j < inner; ++j, o += kH)
          for (int64_t r = 0; r < kH; ++r) {
            const int64_t m = i * kH + r;
            o[r] = m >= M ? 0.f : transposed ? w[(j * a.c + m) * taps + t] : w[(m * a.c + j) * taps + t];
          }
      }
  });
  return out;
}

// Per row of a [C*H*W, N] matrix, whether some entry of a Segments list touches its pixel: reads
// (forward lists: the bases) or writes (input gradient lists, whose targets are the pixels). Empty
// when every pixel is touched.
std::vector<char> rows_touched(const Segments& sg, int64_t hw, int64_t chw, bool targets) {
  std::vector<char> used(static_cast<size_t>(hw), 0);
  if (targets)
    for (int64_t p = 0; p < hw; ++p) used[p] = sg.start[p + 1] > sg.start[p];
  else
    for (int64_t b : sg.base) used[b] = 1;
  int64_t count = 0;
  for (char u : used) count += u;
  std::vector<char> rows;
  if (count < hw) {
    rows.resize(static_cast<size_t>(chw));
    for (int64_t j = 0; j < chw; ++j) rows[j] = used[j % hw];
  }
  return rows;
}

// x [N, C*H*W] transposed to [C*H*W, N], only the rows of the pixels some target reads (a
// strided 1x1 convolution reads a quarter of them); blocks of rows nobody reads are skipped.
void transpose_used_pixels(const Conv2dArgs& a, const float* x, const Segments& sg, float* xt) {
  const int64_t N = a.n, chw = a.c * a.h * a.w;
  const std::vector<char> cols = rows_touched(sg, a.h * a.w, chw, false);
  TransposeMasks m;
  m.cols_needed = cols.empty() ? nullptr : cols.data();
  transpose_f32_parallel(x, N, chw, chw, xt, N, m);
}

// The input gradient back from [C*H*W, N] to [N, C*H*W]; pixels no output reaches are zero
// (their rows of dxt were never written, and are not read).
void transpose_back_input(const Conv2dArgs& a, const float* dxt, const Segments& sg, float* dx) {
  const int64_t N = a.n, chw = a.c * a.h * a.w;
  const std::vector<char> rows = rows_touched(sg, a.h * a.w, chw, true);
  TransposeMasks m;
  m.rows_present = rows.empty() ? nullptr : rows.data();
  transpose_f32_parallel(dxt, chw, N, N, dx, chw, m);
}

}  // namespace

bool small_maps_apply(const Conv2dArgs& a) {
  return a.groups == 1 && a.oh * a.ow <= 64 && a.n >= 32 && a.c >= 16 && a.k >= 16;
}

void small_maps_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  const int64_t N = a.n, hw = a.h * a.w, Q = a.oh * a.ow;
  const Segments sg = forward_segments(a);
  AlignedFloats xt(N * a.c * hw), yt(N * a.k * Q);
  transpose_used_pixels(a, x, sg, xt.get());
  const AlignedFloats A = pack_taps(a, w, sg, false);
  products_over_images(Products{A.get(), sg.used * a.c, a.k, a.c, xt.get(), hw, yt.get(), Q, N}, sg, Q, N);
  transpose_f32_parallel(yt.get(), a.k * Q, N, N, y, a.k * Q);
  if (bias)
    parallel_for(N * a.k, 64, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i)
        for (int64_t q = 0; q < Q; ++q) y[i * Q + q] += bias[i % a.k];
    });
}

void small_maps_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  const int64_t N = a.n, hw = a.h * a.w, Q = a.oh * a.ow;
  const Segments sg = input_segments(a);
  AlignedFloats dyt(N * a.k * Q), dxt(N * a.c * hw);
  transpose_f32_parallel(dy, N, a.k * Q, a.k * Q, dyt.get(), N);
  const AlignedFloats A = pack_taps(a, w, sg, true);
  products_over_images(Products{A.get(), sg.used * a.k, a.c, a.k, dyt.get(), Q, dxt.get(), hw, N}, sg, hw, N);
  transpose_back_input(a, dxt.get(), sg, dx);
}

void small_maps_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw) {
  const int64_t N = a.n, hw = a.h * a.w, Q = a.oh * a.ow, taps = a.r * a.s, K = a.k, C = a.c;
  const Segments fs = forward_segments(a);
  AlignedFloats xt(N * C * hw), dyt(N * K * Q), dwt(taps * K * C);
  transpose_used_pixels(a, x, fs, xt.get());
  transpose_f32_parallel(dy, N, K * Q, K * Q, dyt.get(), N);
  // Per tap, the (output position, input pixel) pairs where it is valid.
  std::vector<std::vector<std::pair<int64_t, int64_t>>> uses(static_cast<size_t>(taps));
  for (int64_t q = 0; q < Q; ++q)
    for (int64_t i = fs.start[q]; i < fs.start[q + 1]; ++i) uses[fs.tap[i]].emplace_back(q, fs.base[i]);
  // Threads split the output channels (rows of every dW_t): no partial sums to add up.
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), K / kH));
  std::vector<int64_t> rows{0};
  for (int64_t t = 1; t <= tasks; ++t) rows.push_back(t == tasks ? K : round_up(K * t / tasks, kH));
  int64_t mmax = 0;
  for (int64_t t = 0; t < tasks; ++t) mmax = std::max(mmax, rows[t + 1] - rows[t]);
  // k blocks of images: the packed dy block (rows x kc) stays within half of L2.
  const int64_t kmax = std::max<int64_t>(64, std::min<int64_t>(kMaxBlock, 65536 / round_up(mmax, kH) / 8 * 8));
  const int64_t kcb = ceil_div(N, ceil_div(N, kmax));
  std::vector<AlignedFloats> ablk, bp;
  for (int64_t t = 0; t < tasks; ++t) {
    ablk.emplace_back(round_up(mmax, kH) * kcb + 8);
    bp.emplace_back(kW * kcb);
  }
  parallel_tasks(tasks, [&](int64_t task) {
    const int64_t k0 = rows[task], m = rows[task + 1] - k0;
    float* A = ablk[task].get();
    float* B = bp[task].get();
    for (int64_t t = 0; t < taps; ++t) {
      float* dwt_t = dwt.get() + (t * K + k0) * C;
      if (uses[t].empty()) {
        for (int64_t i = 0; i < m * C; ++i) dwt_t[i] = 0.f;
        continue;
      }
      bool first = true;
      for (const auto& [q, src] : uses[t])
        for (int64_t n0 = 0; n0 < N; n0 += kcb) {
          const int64_t kc = std::min(kcb, N - n0);
          // A = dy at position q: rows k of dyt (k*Q + q), images along k.
          pack_a_block(false, dyt.get() + q * N, Q * N, k0, m, n0, kc, A);
          for (int64_t j0 = 0; j0 < C; j0 += kW) {
            const int64_t nc = std::min(kW, C - j0);
            // B^T = x at pixel src: rows c of xt (c*HW + src).
            pack_b_block(true, xt.get() + src * N, hw * N, n0, kc, j0, nc, B);
            gemm_packed_block(A, B, m, nc, kc, dwt_t + j0, C, first ? 0.f : 1.f);
          }
          first = false;
        }
    }
  });
  parallel_for(K, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t t = 0; t < taps; ++t) dw[(k * C + c) * taps + t] = dwt.get()[(t * K + k) * C + c];
  });
}

}  // namespace nn::cpu
