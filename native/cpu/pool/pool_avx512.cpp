// AVX-512 2x2 stride-2 max pooling, one plane per call (the seed CNN's pool), forward and backward.
// The AVX2 kernels cover a 26-wide row (13 outputs) as 8 + 4 + 1 outputs, the last one scalar with
// data-dependent branches; here one masked 16-lane step covers up to 16 outputs, the two input
// rows are de-interleaved by permutes and every tail is a mask. Same values, indices, tie and NaN
// rules as the portable kernel (kernels/pool.h): a later cell wins when strictly greater or NaN.
#include <immintrin.h>

#include "../simd/simd.h"

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

}  // namespace

void maxpool2x2_plane_avx512(const float* x, int64_t h, int64_t w, int64_t oh, int64_t ow, float* y, int32_t* idx) {
  (void)h;
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
      _mm512_mask_storeu_ps(y + r * ow + o, out, best);
      _mm512_mask_storeu_epi32(idx + r * ow + o, out, arg);
    }
  }
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

}  // namespace nn::cpu
