#include "conv2d_gathered.h"
#include "../../core/flags.h"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"
#include "../simd/simd.h"

// Built on x86 only: its kernels are the *_avx2.cpp / *_avx512.cpp files (simd.h).
#if NNLAB_X86_KERNELS

namespace nn::cpu {
namespace {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Largest k block of the weight gradient: the packed dy block (K x kc) stays within half of L2
// next to the streamed panels, and kc <= 256 keeps a lowered panel (16 x kc) in L1.
int64_t max_k_block(int64_t k) {
  const int64_t kc = 65536 / round_up(k, kPanelHeight);
  return std::max<int64_t>(64, std::min<int64_t>(256, kc / 8 * 8));
}

// Row offsets of the lowered input: row (c, r, s) reads x at c*H*W + r*dil_h*W + s*dil_w.
void lowered_rows(const Conv2dArgs& a, int64_t hw, int64_t* rows) {
  for (int64_t c = 0, j = 0; c < a.c; ++c)
    for (int64_t r = 0; r < a.r; ++r)
      for (int64_t q = 0; q < a.s; ++q, ++j) rows[j] = c * hw + r * a.dil_h * a.w + q * a.dil_w;
}

// Output positions in order over images: (image, oh, ow) stepped without divisions (the
// per-column offsets of a panel are recomputed for every panel).
struct PositionWalk {
  int64_t oh_n, ow_n, n = 0, oh = 0, ow = 0;
  PositionWalk(const Conv2dArgs& a, int64_t t) : oh_n(a.oh), ow_n(a.ow) {
    n = t / (a.oh * a.ow);
    oh = t % (a.oh * a.ow) / a.ow;
    ow = t % a.ow;
  }
  void next() {
    if (++ow == ow_n) {
      ow = 0;
      if (++oh == oh_n) {
        oh = 0;
        ++n;
      }
    }
  }
};

}  // namespace

bool gathered_apply(const Conv2dArgs& a) { return use_avx2() && (a.groups == 1 || a.k / a.groups >= kPanelHeight); }

bool gathered_input_apply(const Conv2dArgs& a) {
  return gathered_apply(a) && a.stride_h == 1 && a.stride_w == 1 && a.pad_h == 0 && a.pad_w == 0;
}

LoweredInput::LoweredInput(const Conv2dArgs& a, const float* x) : base(x) {
  const int64_t hw = a.h * a.w;
  rows.resize(static_cast<size_t>(a.c * a.r * a.s));
  if (a.stride_h == 1 && a.stride_w == 1 && a.pad_h == 0 && a.pad_w == 0) {
    img = a.c * hw;
    roww = a.w;
    lowered_rows(a, hw, rows.data());
    return;
  }
  const int64_t sh = a.stride_h, sw = a.stride_w, hp = a.h + 2 * a.pad_h, wp = a.w + 2 * a.pad_w;
  const int64_t hph = ceil_div(hp, sh), wph = ceil_div(wp, sw), phase = hph * wph, plane = sh * sw * phase;
  img = a.c * plane;
  roww = wph;
  for (int64_t c = 0, j = 0; c < a.c; ++c)
    for (int64_t r = 0; r < a.r; ++r)
      for (int64_t s = 0; s < a.s; ++s, ++j) {
        const int64_t dr = r * a.dil_h, ds = s * a.dil_w;
        rows[j] = c * plane + ((dr % sh) * sw + ds % sw) * phase + (dr / sh) * wph + ds / sw;
      }
  buf = AlignedFloats(a.n * img);
  float* out = buf.get();
  parallel_for(a.n * a.c, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t nc = lo; nc < hi; ++nc) {
      const float* src = x + nc * hw;
      float* o = out + nc * plane;
      for (int64_t ph = 0; ph < sh; ++ph)
        for (int64_t pw = 0; pw < sw; ++pw, o += phase)
          for (int64_t i = 0; i < hph; ++i) {
            const int64_t ih = i * sh + ph - a.pad_h;
            for (int64_t jj = 0; jj < wph; ++jj) {
              const int64_t iw = jj * sw + pw - a.pad_w;
              o[i * wph + jj] = ih >= 0 && ih < a.h && iw >= 0 && iw < a.w ? src[ih * a.w + iw] : 0.f;
            }
          }
    }
  });
  base = out;
}

GatherScratch::GatherScratch(const ConvPlan& p)
    : kcb(max_k_block(p.kg)), a(round_up(p.kg, kPanelHeight) * kcb + 8), b(kPanelWidth * kcb) {
  const int64_t k = p.kg;
  dyrow.resize(static_cast<size_t>(k));
  xcol.resize(static_cast<size_t>(kcb));
  dycol.resize(static_cast<size_t>(kcb));
  gx.resize(static_cast<size_t>(kcb / 8));
  gdy.resize(static_cast<size_t>(kcb / 8));
}

void backward_weight_gathered(const ConvPlan& p, const LoweredInput& x, const float* dy, int64_t n0, int64_t n1,
                              float* acc, GatherScratch& s) {
  const Conv2dArgs& a = p.a;
  const int64_t Q = p.ohw, T = (n1 - n0) * Q, K = p.kg, J = p.crs, G = a.groups;
  const int64_t img_x = x.img, img_dy = a.k * Q;
  if (T == 0) {
    std::fill_n(acc, a.k * J, 0.f);
    return;
  }
  for (int64_t k = 0; k < K; ++k) s.dyrow[k] = k * Q;
  const float* xb = x.base + n0 * img_x;
  const float* dyb = dy + n0 * img_dy;
  // Equal blocks (a ragged last one would run the micro-kernel on a short k loop).
  const int64_t kcb = round_up(ceil_div(T, ceil_div(T, s.kcb)), 8);
  for (int64_t t0 = 0; t0 < T; t0 += kcb) {
    const int64_t kc = std::min(kcb, T - t0), ng = ceil_div(kc, 8);
    PositionWalk at(a, t0);
    for (int64_t i = 0; i < kc; ++i, at.next()) {
      s.xcol[i] = at.n * img_x + at.oh * x.roww + at.ow;
      s.dycol[i] = at.n * img_dy + at.oh * a.ow + at.ow;
    }
    build_lane_groups(s.xcol.data(), kc, s.gx.data());
    build_lane_groups(s.dycol.data(), kc, s.gdy.data());
    const float beta = t0 == 0 ? 0.f : 1.f;
    // The block's lane groups serve every group: group g reads its own band of dy's channels
    // and its own lowered rows.
    for (int64_t g = 0; g < G; ++g) {
      const GatherRows dym{dyb + g * K * Q, s.dyrow.data(), K, dy, dy + a.n * img_dy};
      pack_gather_at_avx2(dym, s.gdy.data(), ng, kc, kc, s.a.get());
      // One panel of 16 lowered rows at a time, multiplied while it is still in L1.
      for (int64_t j0 = 0; j0 < J; j0 += kPanelWidth) {
        const int64_t nj = std::min(kPanelWidth, J - j0);
        const GatherRows xm{xb, x.rows.data() + g * J + j0, nj, x.base, x.end(a.n)};
        pack_gather_bt_avx2(xm, s.gx.data(), ng, kc, kc, s.b.get());
        gemm_packed_block(s.a.get(), s.b.get(), K, nj, kc, acc + g * K * J + j0, J, beta);
      }
    }
  }
}

ForwardGathered::ForwardGathered(const ConvPlan& p, const LoweredInput& x, const float* w, const float* bias)
    : p_(p), x_(x) {
  const Conv2dArgs& a = p.a;
  aug_ = bias != nullptr;
  kdim_ = p.crs + (aug_ ? 1 : 0);
  // One k block up to 320 rows: a panel of 320 x 16 floats (20 KB) still leaves L1 room for the
  // streamed weights, and one block writes each output once.
  kcb_ = ceil_div(kdim_, ceil_div(kdim_, 320));
  std::vector<float> waug;
  const float* A = weights_with_bias_column(p, w, bias, waug);
  w_.reset(new PackedA[a.groups]);
  for (int64_t g = 0; g < a.groups; ++g)
    if (!pack_a_whole(false, A + g * p.kg * kdim_, kdim_, p.kg, kdim_, &w_[g])) throw std::bad_alloc();
  // Large images lose little to one partial panel each (under 1/16 from 256 positions), and
  // panels that stay inside an image write whole aligned pieces of its rows.
  per_image_ = p.ohw >= 256;
  int64_t g = kPanelWidth;
  for (int64_t q = p.ohw; q % g != 0;) g /= 2;  // gcd(Q, 16)
  const int64_t imgs = per_image_ ? 1 : kPanelWidth / g;
  const int64_t panels = per_image_ ? ceil_div(p.ohw, kPanelWidth) : imgs * p.ohw / kPanelWidth;
  if (panels <= 4096) {
    period_imgs_ = imgs;
    period_panels_ = panels;
    groups_.resize(static_cast<size_t>(2 * panels));
    for (int64_t j = 0; j < panels; ++j) {
      const int64_t t0 = j * kPanelWidth;
      panel_groups(t0, per_image_ ? std::min(kPanelWidth, p.ohw - t0) : kPanelWidth, groups_.data() + 2 * j);
    }
  }
}

void ForwardGathered::panel_groups(int64_t t0, int64_t nt, LaneGroup* g) const {
  int64_t off[kPanelWidth] = {};  // zeroed: the compiler cannot see that build_lane_group(off, 0, ...) reads none
  PositionWalk at(p_.a, t0);
  for (int64_t l = 0; l < nt; ++l, at.next()) off[l] = at.n * x_.img + at.oh * x_.roww + at.ow;
  build_lane_groups(off, nt, g);
  if (nt <= 8) build_lane_group(off, 0, &g[1]);
}

ForwardGathered::Scratch::Scratch(const ForwardGathered& f)
    : panel((f.kcb_ + 1) * kPanelWidth), tile(round_up(f.p_.kg, kPanelHeight) * kPanelWidth) {}

void ForwardGathered::run(int64_t n0, int64_t n1, float* y, Scratch& s) const {
  for (int64_t grp = 0; grp < p_.a.groups; ++grp) run_group(grp, n0, n1, y, s);
}

void ForwardGathered::run_group(int64_t grp, int64_t n0, int64_t n1, float* y, Scratch& s) const {
  const Conv2dArgs& a = p_.a;
  const LoweredInput& x = x_;
  const int64_t Q = p_.ohw, K = p_.kg, KT = a.k, T = (n1 - n0) * Q, img_x = x.img;
  const float* xb = x.base + n0 * img_x;
  LaneGroup own[2];
  for (int64_t t0 = 0, pi = 0; t0 < T; ++pi) {
    const int64_t nt = std::min(kPanelWidth, per_image_ ? Q - t0 % Q : T - t0);
    // Column offsets are relative to the first image of the panel's period.
    const float* base = xb;
    const LaneGroup* g = own;
    if (period_panels_ > 0 && (per_image_ || nt == kPanelWidth)) {
      base = xb + (pi / period_panels_) * period_imgs_ * img_x;
      g = groups_.data() + 2 * (pi % period_panels_);
    } else {
      panel_groups(t0, nt, own);
    }
    const int64_t q0 = t0 % Q;
    const bool straddles = q0 + nt > Q;
    float* c = straddles ? s.tile.get() : y + (n0 + t0 / Q) * KT * Q + grp * K * Q + q0;
    const int64_t ldc = straddles ? kPanelWidth : Q;
    for (int64_t k0 = 0; k0 < kdim_; k0 += kcb_) {
      const int64_t kc = std::min(kcb_, kdim_ - k0);
      const bool ones = aug_ && k0 + kc == kdim_;
      const GatherRows xm{base, x.rows.data() + grp * p_.crs + k0, kc - (ones ? 1 : 0), x.base, x.end(a.n)};
      pack_gather_panel_avx2(xm, g, ones, s.panel.get());
      gemm_packed_block(w_[grp].data + k0 * kPanelHeight, s.panel.get(), K, straddles ? kPanelWidth : nt, kc, c, ldc,
                        k0 == 0 ? 0.f : 1.f, kdim_);
    }
    if (straddles)
      for (int64_t l = 0; l < nt;) {  // one piece per image
        const int64_t t = t0 + l, n = n0 + t / Q, q = t % Q, len = std::min(nt - l, Q - q);
        for (int64_t k = 0; k < K; ++k)
          std::copy_n(s.tile.get() + k * kPanelWidth + l, len, y + (n * KT + grp * K + k) * Q + q);
        l += len;
      }
    t0 += nt;
  }
}

BackwardInputGathered::BackwardInputGathered(const ConvPlan& p, const float* w) : p_(p) {
  const Conv2dArgs& a = p.a;
  const int64_t taps = a.r * a.s, K = p.kg, C = p.cg;
  std::vector<float> wt(static_cast<size_t>(p.crs * K));
  wt_.reset(new PackedA[a.groups]);
  for (int64_t g = 0; g < a.groups; ++g) {
    const float* wg = w + g * K * p.crs;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t t = 0; t < taps; ++t) wt[(t * C + c) * K + k] = wg[(k * C + c) * taps + t];
    if (!pack_a_whole(false, wt.data(), K, p.crs, K, &wt_[g])) throw std::bad_alloc();
  }
  dyrow_.resize(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) dyrow_[k] = k * p.ohw;
  rowoff_.resize(static_cast<size_t>(p.crs));
  for (int64_t r = 0; r < a.r; ++r)
    for (int64_t s = 0; s < a.s; ++s) {
      const int64_t tap = r * a.s + s, off = r * a.dil_h * a.w + s * a.dil_w;
      for (int64_t c = 0; c < C; ++c) rowoff_[tap * C + c] = c * p.hw + off;
    }
  grid_cols_ = a.oh * a.w;
  const int64_t panels = ceil_div(grid_cols_, kPanelWidth);
  std::vector<int64_t> off(static_cast<size_t>(panels * kPanelWidth), -1);
  for (int64_t g = 0; g < grid_cols_; ++g) off[g] = g % a.w < a.ow ? (g / a.w) * a.ow + g % a.w : -1;
  groups_.resize(static_cast<size_t>(panels * 2));
  build_lane_groups(off.data(), panels * kPanelWidth, groups_.data());
  // A grid panel's columns read consecutive positions of dy (the zero columns between output
  // rows aside), always within one window of 16.
  if (use_avx512()) {
    windows_.resize(static_cast<size_t>(panels));
    for (int64_t j = 0; j < panels; ++j)
      if (!panel_window(off.data() + j * kPanelWidth, &windows_[j])) {
        windows_.clear();
        break;
      }
  }
  kcb_ = ceil_div(K, ceil_div(K, 256));
}

BackwardInputGathered::Scratch::Scratch(const BackwardInputGathered& b) : panel(2 * b.kcb_ * kPanelWidth) {}

void BackwardInputGathered::run(const float* dy, int64_t n0, int64_t n1, float* dx, Scratch& s) const {
  const Conv2dArgs& a = p_.a;
  const int64_t img_dy = a.k * p_.ohw, img_dx = a.c * p_.hw;
  for (int64_t n = n0; n < n1; ++n) {
    std::fill_n(dx + n * img_dx, img_dx, 0.f);
    for (int64_t g = 0; g < a.groups; ++g) {
      const int64_t band = g * p_.cg * p_.hw;
      const float* dyg = dy + n * img_dy + g * p_.kg * p_.ohw;
      // The next band of dy (the next group's, or the next image's first), prefetched while this one
      // is multiplied: its rows are read first by the packing, 64 strided streams that the hardware
      // prefetcher does not follow.
      const float* next = g + 1 < a.groups ? dyg + p_.kg * p_.ohw : n + 1 < n1 ? dy + (n + 1) * img_dy : nullptr;
      add_group(g, dy, dyg, next, dx + n * img_dx + band, img_dx - band, s);
    }
  }
}

// Grid panels go in pairs, 32 columns added per row: on AVX-512 each 12-row piece is then one 12x32
// tile, whose broadcasts of W^T each feed two FMAs (NNLAB_NO_BWI_PAIRS=1 takes them one at a time, for
// A/B timing: dx then gets its sums in another order, so its bits differ by rounding).
void BackwardInputGathered::add_group(int64_t g, const float* dy, const float* dyg, const float* next, float* planes,
                                      int64_t room, Scratch& s) const {
  const bool no_pairs = flags().no_bwi_pairs;
  const Conv2dArgs& a = p_.a;
  const int64_t M = p_.crs, K = p_.kg, img_dy = a.k * p_.ohw;
  const int64_t panels = ceil_div(grid_cols_, kPanelWidth);
  const PackedA& wt = wt_[g];
  // Prefetch of `next`: a few lines per tile, spread over the band's tiles.
  const char* pf = reinterpret_cast<const char*>(next);
  const char* pf_end = next ? pf + K * p_.ohw * sizeof(float) : pf;
  const int64_t tiles = ceil_div(panels, no_pairs ? 1 : 2) * ceil_div(K, kcb_) * ceil_div(M, 2 * kPanelHeight);
  const int64_t pf_lines = ceil_div(ceil_div(pf_end - pf, 64), tiles);
  for (int64_t jp = 0; jp < panels;) {
    const int64_t np = !no_pairs && jp + 1 < panels ? 2 : 1;  // panels in this step
    const int64_t g0 = jp * kPanelWidth, width = np * kPanelWidth;
    for (int64_t k0 = 0; k0 < K; k0 += kcb_) {
      const int64_t kc = std::min(kcb_, K - k0), b_step = kc * kPanelWidth;
      const GatherRows dym{dyg, dyrow_.data() + k0, kc, dy, dy + a.n * img_dy};
      for (int64_t q = 0; q < np; ++q)
        if (windows_.empty())
          pack_gather_panel_avx2(dym, groups_.data() + 2 * (jp + q), false, s.panel.get() + q * b_step);
        else
          pack_window_panel_avx512(dyg + k0 * p_.ohw, p_.ohw, kc, windows_[jp + q], s.panel.get() + q * b_step);
      // Two micro-panels (12 rows) at a time: the AVX-512 kernel then keeps 12 accumulators busy.
      for (int64_t i0 = 0; i0 < M; i0 += 2 * kPanelHeight) {
        const int m = static_cast<int>(std::min(2 * kPanelHeight, M - i0));
        // Every run is whole panels wide: the columns past the grid and the zero columns add
        // zeros. Only a run that would leave the image is added through a bounce row.
        float* rows[2 * kPanelHeight];
        bool bounced = false;
        for (int r = 0; r < m; ++r) {
          const int64_t at = rowoff_[i0 + r] + g0;
          rows[r] = planes + at;
          if (at + width > room) {
            bounced = true;
            std::fill_n(s.bounce[r], width, 0.f);
            rows[r] = s.bounce[r];
          }
        }
        for (int64_t l = 0; l < pf_lines && pf < pf_end; ++l, pf += 64) __builtin_prefetch(pf, 0, 3);
        const float* ap = wt.data + i0 * K + k0 * kPanelHeight;
        if (np == 2)
          gemm_tile_rows_pair(kc, ap, kPanelHeight * K, s.panel.get(), b_step, rows, m);
        else
          gemm_tile_rows(kc, ap, kPanelHeight * K, s.panel.get(), rows, m, kPanelWidth);
        if (bounced)
          for (int r = 0; r < m; ++r) {
            const int64_t at = rowoff_[i0 + r] + g0;
            if (at + width > room)
              for (int64_t l = 0; at + l < room; ++l) planes[at + l] += s.bounce[r][l];
          }
      }
    }
    jp += np;
  }
}

}  // namespace nn::cpu

#endif  // NNLAB_X86_KERNELS
