// The batch-in-lanes convolutions (conv_lanes.h) on AVX-512: one lane per image of a block of 16.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "../../core/thread_pool.h"
#include "../simd/aligned.h"
#include "../simd/dispatch.h"
#include "conv_lanes.h"
#include "transpose16_avx512.h"

namespace nn::cpu {
namespace {

constexpr int64_t L = 16;  // lanes: images per block

inline int64_t blocks(int64_t n) { return (n + L - 1) / L; }

// Below this many multiply-adds a whole pass costs less than waking the pool and joining it
// (tens of microseconds on one core), so it runs on the calling thread. Every output element is
// summed by one thread in a fixed order either way, so the split does not change the bits.
constexpr int64_t kInlineMacs = int64_t{8} << 20;

// The grain that keeps a pass of `items` work items on the calling thread when it is small.
inline int64_t grain_for(const Conv2dArgs& a, int64_t items, int64_t grain) {
  const int64_t macs = a.n * a.k * a.oh * a.ow * a.c * a.r * a.s;
  return macs < kInlineMacs ? std::max<int64_t>(items, 1) : grain;
}
inline __mmask16 lane_mask(int64_t valid) { return valid >= L ? __mmask16(0xffff) : __mmask16((1u << valid) - 1); }

// dst[b][i][l] = src[(b*16 + l) * e + i] for the n images of src ([n, e]); lanes past n are
// zero. 16 x 16 tiles transposed in registers.
void to_lanes(const float* src, int64_t n, int64_t e, float* dst, const Conv2dArgs& a) {
  const int64_t tiles = (e + L - 1) / L;
  parallel_for(blocks(n) * tiles, grain_for(a, blocks(n) * tiles, 16), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t b = t / tiles, i0 = t % tiles * L, cols = std::min(L, e - i0);
      const __mmask16 m = lane_mask(cols);
      __m512 r[L];
      for (int64_t l = 0; l < L; ++l)
        r[l] = b * L + l < n ? _mm512_maskz_loadu_ps(m, src + (b * L + l) * e + i0) : _mm512_setzero_ps();
      transpose16(r);
      float* d = dst + (b * e + i0) * L;
      for (int64_t c = 0; c < cols; ++c) _mm512_store_ps(d + c * L, r[c]);
    }
  });
}

// dst[n][i] = src[n / 16][i][n % 16]: the planes of one lane per image back to [n, e].
void from_lanes(const float* src, int64_t n, int64_t e, float* dst, const Conv2dArgs& a) {
  const int64_t tiles = (e + L - 1) / L;
  parallel_for(blocks(n) * tiles, grain_for(a, blocks(n) * tiles, 16), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t b = t / tiles, i0 = t % tiles * L, cols = std::min(L, e - i0);
      const float* s = src + (b * e + i0) * L;
      __m512 r[L];
      for (int64_t c = 0; c < L; ++c) r[c] = c < cols ? _mm512_load_ps(s + c * L) : _mm512_setzero_ps();
      transpose16(r);
      const __mmask16 m = lane_mask(cols);
      for (int64_t l = 0; l < std::min(L, n - b * L); ++l) _mm512_mask_storeu_ps(dst + (b * L + l) * e + i0, m, r[l]);
    }
  });
}

// The 16 lanes' sum, halves added pairwise (GCC 12's reduce and extract intrinsics warn of an
// uninitialised register).
inline float lane_sum(__m512 v) {
  alignas(64) float t[L];
  _mm512_store_ps(t, v);
  for (int64_t h = L / 2; h > 0; h /= 2)
    for (int64_t i = 0; i < h; ++i) t[i] += t[i + h];
  return t[0];
}

// One lane block of a forward or input-gradient pass: its input and output planes and the
// weights in the pass's layout.
struct LanePass {
  const float* in;    // forward: x, [C][H][W][16]; input gradient: dy, [K][OH][OW][16]
  const float* w;     // forward: [C*R*S][K]; input gradient: [R*S][K][C]
  const float* bias;  // forward only, may be null
  float* out;         // forward: y; input gradient: dx
  const Conv2dArgs& a;
};

// ---- forward: KB output channels x P neighbouring outputs of one row per tile.

template <int KB, int P>
void fwd_tile(const LanePass& f, int64_t k0, int64_t oh, int64_t ow) {
  const Conv2dArgs a = f.a;  // a local copy: stores through f.out cannot alias it
  __m512 acc[P][KB];
  for (int k = 0; k < KB; ++k) {
    const __m512 b = _mm512_set1_ps(f.bias ? f.bias[k0 + k] : 0.f);
    for (int p = 0; p < P; ++p) acc[p][k] = b;
  }
  const float* w = f.w + k0;
  for (int64_t c = 0; c < a.c; ++c)
    for (int64_t r = 0; r < a.r; ++r) {
      const float* xr = f.in + ((c * a.h + oh * a.stride_h + r) * a.w + ow * a.stride_w) * L;
      for (int64_t s = 0; s < a.s; ++s, w += a.k) {
        __m512 xv[P];
        for (int p = 0; p < P; ++p) xv[p] = _mm512_load_ps(xr + (p * a.stride_w + s) * L);
        for (int k = 0; k < KB; ++k) {
          const __m512 wv = _mm512_set1_ps(w[k]);
          for (int p = 0; p < P; ++p) acc[p][k] = _mm512_fmadd_ps(xv[p], wv, acc[p][k]);
        }
      }
    }
  for (int k = 0; k < KB; ++k)
    for (int p = 0; p < P; ++p) _mm512_store_ps(f.out + (((k0 + k) * a.oh + oh) * a.ow + ow + p) * L, acc[p][k]);
}

template <int KB>
void fwd_row(const LanePass& f, int64_t k0, int64_t oh) {
  const Conv2dArgs a = f.a;  // a local copy: stores through f.out cannot alias it
  int64_t ow = 0;
  for (; ow + 2 <= a.ow; ow += 2) fwd_tile<KB, 2>(f, k0, oh, ow);
  if (ow < a.ow) fwd_tile<KB, 1>(f, k0, oh, ow);
}

// ---- input gradient, gathered: each dx pixel sums its valid taps (r, s), channel k after k;
// all C channels of the pixel at once (C <= 16 accumulators).
template <int CB>
void bwi_pixel(const LanePass& f, int64_t ih, int64_t iw) {
  const Conv2dArgs a = f.a;  // a local copy: stores through f.out cannot alias it
  __m512 acc[CB];
  for (int c = 0; c < CB; ++c) acc[c] = _mm512_setzero_ps();
  const int64_t ohw = a.oh * a.ow;
  for (int64_t r = ih % a.stride_h; r < a.r && r <= ih; r += a.stride_h) {
    const int64_t oh = (ih - r) / a.stride_h;
    if (oh >= a.oh) continue;
    for (int64_t s = iw % a.stride_w; s < a.s && s <= iw; s += a.stride_w) {
      const int64_t ow = (iw - s) / a.stride_w;
      if (ow >= a.ow) continue;
      const float* d = f.in + (oh * a.ow + ow) * L;
      const float* w = f.w + (r * a.s + s) * a.k * a.c;
      for (int64_t k = 0; k < a.k; ++k, w += a.c) {
        const __m512 dv = _mm512_load_ps(d + k * ohw * L);
        for (int c = 0; c < CB; ++c) acc[c] = _mm512_fmadd_ps(dv, _mm512_set1_ps(w[c]), acc[c]);
      }
    }
  }
  for (int c = 0; c < CB; ++c) _mm512_store_ps(f.out + ((c * a.h + ih) * a.w + iw) * L, acc[c]);
}

// ---- weight gradient: tiles of KB output channels x JB product steps, lanes summed last.
struct BwwArgs {
  const float* xt;      // x in lane blocks, [NB][C][H][W][16]
  const float* dyt;     // dy in lane blocks, [NB][K][OH][OW][16]
  const int64_t* xoff;  // product step j = (c, r, s): its offset in a lane block of x
  float* dw;
  int64_t NB, C, H, W, K, J, sh, sw, OH, OW;
};

template <int KB, int JB>
void bww_tile(const BwwArgs& f, int64_t k0, int64_t j0) {
  __m512 acc[KB][JB];
  for (int k = 0; k < KB; ++k)
    for (int j = 0; j < JB; ++j) acc[k][j] = _mm512_setzero_ps();
  const int64_t ximg = f.C * f.H * f.W * L, dyimg = f.K * f.OH * f.OW * L, dyk = f.OH * f.OW * L;
  int64_t xo[JB];
  for (int j = 0; j < JB; ++j) xo[j] = f.xoff[j0 + j];
  for (int64_t b = 0; b < f.NB; ++b)
    for (int64_t oh = 0; oh < f.OH; ++oh) {
      const float* xr = f.xt + b * ximg + oh * f.sh * f.W * L;
      const float* dr = f.dyt + b * dyimg + k0 * dyk + oh * f.OW * L;
      for (int64_t ow = 0; ow < f.OW; ++ow) {
        const float* xp = xr + ow * f.sw * L;
        __m512 xv[JB];
        for (int j = 0; j < JB; ++j) xv[j] = _mm512_load_ps(xp + xo[j]);
        for (int k = 0; k < KB; ++k) {
          const __m512 dv = _mm512_load_ps(dr + k * dyk + ow * L);
          for (int j = 0; j < JB; ++j) acc[k][j] = _mm512_fmadd_ps(dv, xv[j], acc[k][j]);
        }
      }
    }
  for (int k = 0; k < KB; ++k)
    for (int j = 0; j < JB; ++j) f.dw[(k0 + k) * f.J + j0 + j] = lane_sum(acc[k][j]);
}

constexpr int64_t kFwdKB = 12, kBwwKB = 5, kBwwJB = 4;

}  // namespace

void lanes_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  const int64_t nb = blocks(a.n), J = a.c * a.r * a.s, ein = a.c * a.h * a.w, eout = a.k * a.oh * a.ow;
  AlignedFloats xt(nb * ein * L), yt(nb * eout * L), wt(J * a.k);
  for (int64_t k = 0; k < a.k; ++k)
    for (int64_t j = 0; j < J; ++j) wt.get()[j * a.k + k] = w[k * J + j];
  to_lanes(x, a.n, ein, xt.get(), a);
  const int64_t kchunks = (a.k + kFwdKB - 1) / kFwdKB;
  parallel_for(nb * a.oh * kchunks, grain_for(a, nb * a.oh * kchunks, 1), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t b = t / (a.oh * kchunks), oh = t / kchunks % a.oh, k0 = t % kchunks * kFwdKB;
      const LanePass f{xt.get() + b * ein * L, wt.get(), bias, yt.get() + b * eout * L, a};
      simd::with_count<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>(
          static_cast<int>(std::min(kFwdKB, a.k - k0)), [&](auto kb) { fwd_row<decltype(kb)::value>(f, k0, oh); });
    }
  });
  from_lanes(yt.get(), a.n, eout, y, a);
}

void lanes_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  const int64_t nb = blocks(a.n), taps = a.r * a.s, ein = a.c * a.h * a.w, eout = a.k * a.oh * a.ow;
  AlignedFloats dyt(nb * eout * L), dxt(nb * ein * L), wb(taps * a.k * a.c);
  for (int64_t k = 0; k < a.k; ++k)
    for (int64_t c = 0; c < a.c; ++c)
      for (int64_t t = 0; t < taps; ++t) wb.get()[(t * a.k + k) * a.c + c] = w[(k * a.c + c) * taps + t];
  to_lanes(dy, a.n, eout, dyt.get(), a);
  parallel_for(nb * a.h, grain_for(a, nb * a.h, 1), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t b = t / a.h, ih = t % a.h;
      const LanePass f{dyt.get() + b * eout * L, wb.get(), nullptr, dxt.get() + b * ein * L, a};
      simd::with_count<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16>(static_cast<int>(a.c), [&](auto cb) {
        for (int64_t iw = 0; iw < a.w; ++iw) bwi_pixel<decltype(cb)::value>(f, ih, iw);
      });
    }
  });
  from_lanes(dxt.get(), a.n, ein, dx, a);
}

void lanes_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw) {
  const int64_t nb = blocks(a.n), J = a.c * a.r * a.s, ein = a.c * a.h * a.w, eout = a.k * a.oh * a.ow;
  AlignedFloats xt(nb * ein * L), dyt(nb * eout * L);
  std::vector<int64_t> xoff(static_cast<size_t>(J));
  for (int64_t c = 0, j = 0; c < a.c; ++c)
    for (int64_t r = 0; r < a.r; ++r)
      for (int64_t s = 0; s < a.s; ++s, ++j) xoff[j] = ((c * a.h + r) * a.w + s) * L;
  to_lanes(x, a.n, ein, xt.get(), a);
  to_lanes(dy, a.n, eout, dyt.get(), a);
  const BwwArgs f{xt.get(), dyt.get(), xoff.data(), dw, nb, a.c, a.h, a.w, a.k, J, a.stride_h, a.stride_w, a.oh, a.ow};
  const int64_t kchunks = (a.k + kBwwKB - 1) / kBwwKB, jchunks = (J + kBwwJB - 1) / kBwwJB;
  parallel_for(kchunks * jchunks, grain_for(a, kchunks * jchunks, 1), [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t k0 = t / jchunks * kBwwKB, j0 = t % jchunks * kBwwJB;
      simd::with_count<1, 2, 3, 4, 5>(static_cast<int>(std::min(kBwwKB, a.k - k0)), [&](auto kb) {
        simd::with_count<1, 2, 3, 4>(static_cast<int>(std::min(kBwwJB, J - j0)),
                                     [&](auto jb) { bww_tile<decltype(kb)::value, decltype(jb)::value>(f, k0, j0); });
      });
    }
  });
}

}  // namespace nn::cpu
