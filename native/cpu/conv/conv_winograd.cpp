#include "conv_winograd.h"
#include "../../core/flags.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "../../core/thread_pool.h"
#include "../simd/aligned.h"
#include "../gemm/gemm.h"
#include "../simd/simd.h"

// Built on x86 only: its kernels are the *_avx2.cpp / *_avx512.cpp files (simd.h).
#if NNLAB_X86_KERNELS

namespace nn::cpu {
namespace {

constexpr int64_t kLanes = kPanelWidth;  // tiles per panel

// Tiles and the zero-padded input they read: every tile's 4x4 patch lies inside the copy
// (2 extra rows/columns past an odd output edge).
struct TileGrid {
  int64_t th, tw, hp, wp, plane;
  explicit TileGrid(const Conv2dArgs& a)
      : th((a.oh + 1) / 2), tw((a.ow + 1) / 2), hp(2 * th + 2), wp(2 * tw + 2), plane(hp * wp) {}
};

// Where it pays: 3x3 stride-1 convolutions with many output channels on small maps (ResNet's
// 64- and 128-channel stages), forward and input gradient alike. It loses where the per-channel
// input transform weighs on few output channels (under 64 per group), where odd output sizes
// leave tiles partly outside the map (the seed CNN's conv2 and its input gradient), on 2x2 maps
// (a 4x4 patch of mostly padding), and below 128 tiles per call, where transforming the weights
// (16 K x C matrices per call) is not paid back. docs/performance.md has the figures.
// NNLAB_NO_WINOGRAD=1 turns it off.
bool shape_applies(const Conv2dArgs& a, int64_t cin, int64_t cout, int64_t out_h, int64_t out_w) {
  const bool off = flags().no_winograd;
  if (off || !use_avx2() || a.r != 3 || a.s != 3 || a.stride_h != 1 || a.stride_w != 1 || a.dil_h != 1 ||
      a.dil_w != 1 || a.pad_h > 2 || a.pad_w > 2 || out_h < 4 || out_w < 4)
    return false;
  const int64_t tiled = (out_h + 1) / 2 * 2 * ((out_w + 1) / 2 * 2);
  return cin / a.groups >= 32 && cout / a.groups >= 64 && tiled * 10 <= out_h * out_w * 11 && a.n * tiled / 4 >= 128;
}

bool all_finite(const float* v, int64_t n) {
  bool ok = true;
  for (int64_t i = 0; i < n; ++i) ok &= std::isfinite(v[i]);
  return ok;
}

// U = G g G^T for every (k, c) of each group, packed as 16 GEMM A operands per group (K x C).
std::unique_ptr<PackedA[]> transform_weights(const Conv2dArgs& a, const float* w) {
  const int64_t G = a.groups, C = a.c / G, K = a.k / G;
  std::unique_ptr<PackedA[]> packed(new PackedA[G * 16]);
  std::vector<float> u(static_cast<size_t>(16 * K * C));
  for (int64_t g = 0; g < G; ++g) {
    for (int64_t k = 0; k < K; ++k)
      for (int64_t c = 0; c < C; ++c) {
        const float* f = w + ((g * K + k) * C + c) * 9;
        // G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]: rows first (t = G f), then columns.
        float t[4][3];
        for (int j = 0; j < 3; ++j) {
          t[0][j] = f[j];
          t[1][j] = 0.5f * (f[j] + f[3 + j] + f[6 + j]);
          t[2][j] = 0.5f * (f[j] - f[3 + j] + f[6 + j]);
          t[3][j] = f[6 + j];
        }
        for (int i = 0; i < 4; ++i) {
          const float v[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]),
                              t[i][2]};
          for (int j = 0; j < 4; ++j) u[((i * 4 + j) * K + k) * C + c] = v[j];
        }
      }
    for (int64_t xi = 0; xi < 16; ++xi)
      if (!pack_a_whole(false, u.data() + xi * K * C, C, K, C, &packed[g * 16 + xi])) throw std::bad_alloc();
  }
  return packed;
}

}  // namespace

bool winograd_apply(const Conv2dArgs& a) { return shape_applies(a, a.c, a.k, a.oh, a.ow); }

bool winograd_input_apply(const Conv2dArgs& a) { return shape_applies(a, a.k, a.c, a.h, a.w); }

bool winograd_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  const TileGrid tg(a);
  const int64_t G = a.groups, C = a.c / G, K = a.k / G, ohw = a.oh * a.ow;
  if (!all_finite(w, a.k * C * 9)) return false;
  // The zero-padded copy of x: plane (n, c) holds x's plane at row pad_h, column pad_w. It also
  // checks x: a transform mixes inputs, so an inf would turn into NaN where the direct sum keeps
  // inf (those inputs take the gathered path).
  AlignedFloats xp(a.n * a.c * tg.plane + 16);  // the row transform reads up to 16 floats past a plane
  std::fill_n(xp.get() + a.n * a.c * tg.plane, 16, 0.f);
  std::atomic<bool> finite{true};
  parallel_for(a.n * a.c, 1, [&](int64_t lo, int64_t hi) {
    bool ok = true;
    for (int64_t pl = lo; pl < hi; ++pl) {
      float* o = xp.get() + pl * tg.plane;
      std::fill_n(o, tg.plane, 0.f);
      const float* src = x + pl * a.h * a.w;
      ok = ok && all_finite(src, a.h * a.w);
      for (int64_t i = 0; i < a.h; ++i) std::copy_n(src + i * a.w, a.w, o + (i + a.pad_h) * tg.wp + a.pad_w);
    }
    if (!ok) finite.store(false);
  });
  if (!finite.load()) return false;
  const std::unique_ptr<PackedA[]> U = transform_weights(a, w);
  // One contiguous image range per task (each tile's arithmetic does not depend on the split).
  // A task transforms a chunk of images at a time into V (per channel, per xi, tiles in order),
  // then runs the chunk's tiles panel by panel; the chunk's size keeps the last panel's idle
  // lanes few and V within about 768 KB.
  const int64_t nt = std::max<int64_t>(1, std::min<int64_t>(num_threads(), a.n));
  const int64_t per_img = tg.th * tg.tw;
  auto ld_for = [&](int64_t imgs) { return (imgs * per_img + kLanes - 1) / kLanes * kLanes + kLanes; };
  int64_t chunk = 1;
  for (int64_t cb = 2; cb <= std::min<int64_t>(16, a.n); ++cb) {
    if (C * 16 * ld_for(cb) > (int64_t(3) << 16)) break;
    const auto idle = [&](int64_t b) { return double(ld_for(b) - kLanes - b * per_img) / double(b * per_img); };
    if (idle(cb) < idle(chunk) - 0.01 || chunk * per_img < 64) chunk = cb;
  }
  const int64_t ld = ld_for(chunk);
  std::vector<AlignedFloats> vbuf, pbuf, mbuf, obuf;
  for (int64_t t = 0; t < nt; ++t) {
    vbuf.emplace_back(C * 16 * ld);
    pbuf.emplace_back(16 * C * kLanes);
    mbuf.emplace_back(16 * K * kLanes);
    obuf.emplace_back(K * 4 * ld);
  }
  parallel_tasks(nt, [&](int64_t task) {
    const int64_t n0 = a.n * task / nt, n1 = a.n * (task + 1) / nt;
    float *v = vbuf[task].get(), *vp = pbuf[task].get(), *mp = mbuf[task].get(), *out = obuf[task].get();
    for (int64_t g = 0; g < G; ++g) {
      float* yg = y + g * K * ohw;
      for (int64_t c0 = n0; c0 < n1; c0 += chunk) {
        const int64_t nb = std::min(chunk, n1 - c0), T = nb * per_img;
        // Images in order: each plane's stray writes past its last tile land where the next
        // image's tiles (or the slack) go, before those are written.
        for (int64_t b = 0; b < nb; ++b)
          for (int64_t c = 0; c < C; ++c)
            winograd_input_plane_avx2(xp.get() + ((c0 + b) * a.c + g * C + c) * tg.plane, tg.wp, tg.th, tg.tw,
                                      v + c * 16 * ld + b * per_img, ld);
        // Lanes past the chunk's tiles hold whatever V's slack holds: their columns of the
        // products are computed but never written out.
        for (int64_t t0 = 0; t0 < T; t0 += kLanes) {
          winograd_pack_panel_avx2(v, ld, C, t0, vp);
          for (int64_t xi = 0; xi < 16; ++xi)
            gemm_packed_block(U[g * 16 + xi].data, vp + xi * C * kLanes, K, kLanes, C, mp + xi * K * kLanes, kLanes,
                              0.f, C);
          winograd_output_panel_avx2(mp, K, bias ? bias + g * K : nullptr, out + t0, ld);
        }
        for (int64_t b = 0; b < nb; ++b)
          for (int64_t k = 0; k < K; ++k)
            winograd_store_plane_avx2(out + k * 4 * ld + b * per_img, ld, tg.th, tg.tw, yg + ((c0 + b) * a.k + k) * ohw,
                                      a.oh, a.ow);
      }
    }
  });
  return true;
}

bool winograd_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  const int64_t G = a.groups, C = a.c / G, K = a.k / G;
  // dx = conv(dy, w'), w'[g*C + c, k, r, s] = w[g*K + k, c, 2 - r, 2 - s], padding 2 - pad.
  std::vector<float> wf(static_cast<size_t>(a.k * C * 9));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t r = 0; r < 3; ++r)
          for (int64_t s = 0; s < 3; ++s)
            wf[(((g * C + c) * K + k) * 3 + r) * 3 + s] = w[(((g * K + k) * C + c) * 3 + 2 - r) * 3 + 2 - s];
  Conv2dArgs b = a;
  b.c = a.k;
  b.h = a.oh;
  b.w = a.ow;
  b.k = a.c;
  b.pad_h = 2 - a.pad_h;
  b.pad_w = 2 - a.pad_w;
  b.oh = a.h;
  b.ow = a.w;
  return winograd_forward(b, dy, wf.data(), nullptr, dx);
}

}  // namespace nn::cpu

#endif  // NNLAB_X86_KERNELS
