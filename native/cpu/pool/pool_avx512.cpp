// AVX-512 2x2 stride-2 max pooling (the seed CNN's pools), forward and backward: one plane per call,
// or a run of small planes (maxpool2x2_planes_avx512, below).
// The AVX2 kernels cover a 26-wide row (13 outputs) as 8 + 4 + 1 outputs, the last one scalar with
// data-dependent branches; here one masked 16-lane step covers up to 16 outputs, the two input
// rows are de-interleaved by permutes and every tail is a mask. Same values, indices, tie and NaN
// rules as the portable kernel (kernels/pool.h): a later cell wins when strictly greater or NaN.
#include <immintrin.h>

#include "../simd/simd.h"
#include "maxpool_values.h"

namespace nn::cpu {
namespace {

// Lanes 0..n-1 of a 16-lane mask (n <= 16), and of the two halves of a 32-float span of 2n floats.
inline __mmask16 first(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1); }
inline __mmask16 low_half(int64_t n) { return first(2 * n); }
inline __mmask16 high_half(int64_t n) { return 2 * n > 16 ? first(2 * n - 16) : __mmask16(0); }

inline void take16(__m512 v, __m512i cand, __m512& best, __m512i& arg) {
  const __mmask16 m = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  best = _mm512_mask_blend_ps(m, best, v);
  arg = _mm512_mask_blend_epi32(m, arg, cand);
}

// The pooled values as stored: relu(v) of kernels/ops.h when asked (v <= 0 gives +0, NaN passes).
template <bool kRelu>
inline __m512 finish(__m512 v) {
  if constexpr (kRelu) return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NLE_UQ), v);
  return v;
}

// kIdx: whether the indices are written (without, the compiler drops their arithmetic).
template <bool kIdx, bool kRelu>
void plane(const float* x, int64_t w, int64_t oh, int64_t ow, float* y, int32_t* idx) {
  const int32_t wi = static_cast<int32_t>(w);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  for (int64_t r = 0; r < oh; ++r) {
    const float* r0 = x + 2 * r * w;
    const float* r1 = r0 + w;
    const int32_t base = static_cast<int32_t>(2 * r * w);
    for (int64_t o = 0; o < ow; o += 16) {
      const int64_t n = ow - o < 16 ? ow - o : 16;
      const __mmask16 lo = low_half(n), hi = high_half(n);
      // Masked loads never touch memory past the 2n cells of this chunk.
      const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * o), a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * o + 16);
      const __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * o), b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * o + 16);
      const __m512i c00 = _mm512_add_epi32(_mm512_set1_epi32(base + static_cast<int32_t>(2 * o)), even);
      __m512 best = _mm512_permutex2var_ps(a0, even, a1);
      __m512i arg = c00;
      take16(_mm512_permutex2var_ps(a0, odd, a1), _mm512_add_epi32(c00, _mm512_set1_epi32(1)), best, arg);
      take16(_mm512_permutex2var_ps(b0, even, b1), _mm512_add_epi32(c00, _mm512_set1_epi32(wi)), best, arg);
      take16(_mm512_permutex2var_ps(b0, odd, b1), _mm512_add_epi32(c00, _mm512_set1_epi32(wi + 1)), best, arg);
      const __mmask16 out = first(n);
      _mm512_mask_storeu_ps(y + r * ow + o, out, finish<kRelu>(best));
      if constexpr (kIdx) _mm512_mask_storeu_epi32(idx + r * ow + o, out, arg);
    }
  }
}

}  // namespace

void maxpool2x2_plane_avx512(const float* x, int64_t h, int64_t w, int64_t oh, int64_t ow, float* y, int32_t* idx) {
  (void)h;
  plane<true, false>(x, w, oh, ow, y, idx);
}

void maxpool2x2_plane_values_avx512(const float* x, int64_t w, int64_t oh, int64_t ow, float* y, bool relu) {
  relu ? plane<false, true>(x, w, oh, ow, y, nullptr) : plane<false, false>(x, w, oh, ow, y, nullptr);
}

bool maxpool2x2_backward_plane_avx512(const float* dy, const int32_t* idx, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                      float* dx) {
  const int32_t wi = static_cast<int32_t>(w);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  // Interleaving (cell 0, cell 1) of outputs 0..7 and 8..15 back into row order.
  const __m512i inter_lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i inter_hi = _mm512_add_epi32(inter_lo, _mm512_set1_epi32(8));
  const __m512 zero = _mm512_setzero_ps();
  bool ok = true;
  for (int64_t r = 0; r < oh; ++r) {
    float* d0 = dx + 2 * r * w;
    float* d1 = d0 + w;
    const int32_t base = static_cast<int32_t>(2 * r * w);
    for (int64_t o = 0; o < ow; o += 16) {
      const int64_t n = ow - o < 16 ? ow - o : 16;
      const __mmask16 live = first(n), lo = low_half(n), hi = high_half(n);
      const __m512 g = _mm512_maskz_loadu_ps(live, dy + r * ow + o);
      const __m512i iv = _mm512_maskz_loadu_epi32(live, idx + r * ow + o);
      const __m512i c00 = _mm512_add_epi32(_mm512_set1_epi32(base + static_cast<int32_t>(2 * o)), even);
      const __mmask16 m00 = _mm512_cmpeq_epi32_mask(iv, c00);
      const __mmask16 m01 = _mm512_cmpeq_epi32_mask(iv, _mm512_add_epi32(c00, _mm512_set1_epi32(1)));
      const __mmask16 m10 = _mm512_cmpeq_epi32_mask(iv, _mm512_add_epi32(c00, _mm512_set1_epi32(wi)));
      const __mmask16 m11 = _mm512_cmpeq_epi32_mask(iv, _mm512_add_epi32(c00, _mm512_set1_epi32(wi + 1)));
      ok = ok && ((m00 | m01 | m10 | m11) & live) == live;
      // 0 + g rather than g: the scatter path adds into zeros, so -0 comes out as +0 in both.
      const __m512 v00 = _mm512_maskz_add_ps(m00, zero, g), v01 = _mm512_maskz_add_ps(m01, zero, g);
      const __m512 v10 = _mm512_maskz_add_ps(m10, zero, g), v11 = _mm512_maskz_add_ps(m11, zero, g);
      _mm512_mask_storeu_ps(d0 + 2 * o, lo, _mm512_permutex2var_ps(v00, inter_lo, v01));
      _mm512_mask_storeu_ps(d0 + 2 * o + 16, hi, _mm512_permutex2var_ps(v00, inter_hi, v01));
      _mm512_mask_storeu_ps(d1 + 2 * o, lo, _mm512_permutex2var_ps(v10, inter_lo, v11));
      _mm512_mask_storeu_ps(d1 + 2 * o + 16, hi, _mm512_permutex2var_ps(v10, inter_hi, v11));
    }
    for (int64_t q = 2 * ow; q < w; ++q) d0[q] = d1[q] = 0.f;  // an odd width's last column
  }
  for (int64_t q = 2 * oh * w; q < h * w; ++q) dx[q] = 0.f;  // an odd height's last row
  return ok;
}

// Planes of at most 32 pooled outputs (the seed CNN's second pool: 11x11 -> 5x5): a row holds
// too few outputs to fill a vector, so the outputs of consecutive planes are taken 16 at a time
// as one flat run and their four window cells gathered. Lane state: q, the output's cell within
// its plane, and at, its plane's first input element relative to x.
namespace {

struct FlatLanes {
  __m512i q, at;
  __m512i tlo, thi;  // window's first cell within the plane, by q (32 entries)
  __m512i ohw, hw;
  FlatLanes(int64_t w, int64_t oh, int64_t ow, int64_t h) {
    alignas(64) int32_t t[32] = {};
    for (int64_t o = 0; o < oh * ow; ++o) t[o] = static_cast<int32_t>(2 * (o / ow) * w + 2 * (o % ow));
    tlo = _mm512_load_si512(t);
    thi = _mm512_load_si512(t + 16);
    ohw = _mm512_set1_epi32(static_cast<int32_t>(oh * ow));
    hw = _mm512_set1_epi32(static_cast<int32_t>(h * w));
    q = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    at = _mm512_setzero_si512();
    wrap();
  }
  void wrap() {
    for (__mmask16 m = _mm512_cmpge_epi32_mask(q, ohw); m; m = _mm512_cmpge_epi32_mask(q, ohw)) {
      q = _mm512_mask_sub_epi32(q, m, q, ohw);
      at = _mm512_mask_add_epi32(at, m, at, hw);
    }
  }
  void next() {
    q = _mm512_add_epi32(q, _mm512_set1_epi32(16));
    wrap();
  }
  __m512i cell() const { return _mm512_permutex2var_epi32(tlo, q, thi); }
};

}  // namespace

// The two horizontally adjacent cells at a (per lane) of 16 outputs as 8-byte gathers, de-interleaved.
inline void gather_pairs(const float* x, __m512i a, __mmask16 m, __m512i even, __m512i odd, __m512& left,
                         __m512& right) {
  const __m512d lo =
      _mm512_mask_i32gather_pd(_mm512_setzero_pd(), static_cast<__mmask8>(m), _mm512_castsi512_si256(a), x, 4);
  const __m512d hi = _mm512_mask_i32gather_pd(_mm512_setzero_pd(), static_cast<__mmask8>(m >> 8),
                                              _mm512_extracti64x4_epi64(a, 1), x, 4);
  left = _mm512_permutex2var_ps(_mm512_castpd_ps(lo), even, _mm512_castpd_ps(hi));
  right = _mm512_permutex2var_ps(_mm512_castpd_ps(lo), odd, _mm512_castpd_ps(hi));
}

namespace {

template <bool kIdx, bool kRelu>
void planes_run(const float* x, int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, float* y, int32_t* idx) {
  FlatLanes l(w, oh, ow, h);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i one = _mm512_set1_epi32(1), down = _mm512_set1_epi32(static_cast<int32_t>(w));
  const __m512i down_one = _mm512_set1_epi32(static_cast<int32_t>(w + 1));
  const int64_t total = planes * oh * ow, cells = planes * h * w;
  for (int64_t o = 0; o < total; o += 16, l.next()) {
    const __mmask16 m = first(total - o);
    // Gathers do not train the hardware prefetcher: the input 4 steps ahead (16 outputs read
    // about 16 * h * w / (oh * ow) floats) is asked for here.
    const int64_t ahead = (o + 64) * h * w / (oh * ow);
    for (int64_t c = ahead; c < ahead + 16 * h * w / (oh * ow) + 16 && c < cells; c += 16)
      _mm_prefetch(reinterpret_cast<const char*>(x + c), _MM_HINT_T0);
    const __m512i c00 = l.cell(), a00 = _mm512_add_epi32(l.at, c00);
    __m512 v00, v01, v10, v11;
    gather_pairs(x, a00, m, even, odd, v00, v01);
    gather_pairs(x, _mm512_add_epi32(a00, down), m, even, odd, v10, v11);
    __m512 best = v00;
    __m512i arg = c00;
    take16(v01, _mm512_add_epi32(c00, one), best, arg);
    take16(v10, _mm512_add_epi32(c00, down), best, arg);
    take16(v11, _mm512_add_epi32(c00, down_one), best, arg);
    _mm512_mask_storeu_ps(y + o, m, finish<kRelu>(best));
    if constexpr (kIdx) _mm512_mask_storeu_epi32(idx + o, m, arg);
  }
}

}  // namespace

void maxpool2x2_planes_avx512(const float* x, int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, float* y,
                              int32_t* idx) {
  planes_run<true, false>(x, planes, h, w, oh, ow, y, idx);
}

void maxpool2x2_planes_values_avx512(const float* x, int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                     float* y, bool relu) {
  relu ? planes_run<false, true>(x, planes, h, w, oh, ow, y, nullptr)
       : planes_run<false, false>(x, planes, h, w, oh, ow, y, nullptr);
}

bool maxpool2x2_backward_planes_avx512(const float* dy, const int32_t* idx, int64_t planes, int64_t h, int64_t w,
                                       int64_t oh, int64_t ow, float* dx) {
  FlatLanes l(w, oh, ow, h);
  const __m512i one = _mm512_set1_epi32(1), down = _mm512_set1_epi32(static_cast<int32_t>(w));
  const __m512i down_one = _mm512_set1_epi32(static_cast<int32_t>(w + 1));
  const __m512 zero = _mm512_setzero_ps();
  const int64_t ohw = oh * ow, hw = h * w, total = planes * ohw, cells = planes * hw;
  int64_t zeroed = 0;
  for (int64_t o = 0; o < total; o += 16, l.next()) {
    const __mmask16 m = first(total - o);
    // Zeros just ahead of the scatter, up to the end of the planes these 16 outputs lie in: a
    // fill of the whole run first would leave its start in L3 by the time the scatter got there.
    const int64_t upto = (o + 16 + ohw - 1) / ohw * hw;
    for (const int64_t end = upto < cells ? upto : cells; zeroed < end; zeroed += 16)
      _mm512_mask_storeu_ps(dx + zeroed, first(cells - zeroed), zero);
    const __m512i iv = _mm512_maskz_loadu_epi32(m, idx + o), rel = _mm512_sub_epi32(iv, l.cell());
    const __mmask16 in = _mm512_cmpeq_epi32_mask(rel, _mm512_setzero_si512()) | _mm512_cmpeq_epi32_mask(rel, one) |
                         _mm512_cmpeq_epi32_mask(rel, down) | _mm512_cmpeq_epi32_mask(rel, down_one);
    if ((in & m) != m) return false;
    // 0 + g, as the scatter path adds into zeros: -0 comes out as +0.
    const __m512 g = _mm512_add_ps(zero, _mm512_maskz_loadu_ps(m, dy + o));
    _mm512_mask_i32scatter_ps(dx, m, _mm512_add_epi32(l.at, iv), g, 4);
  }
  return true;
}

}  // namespace nn::cpu
