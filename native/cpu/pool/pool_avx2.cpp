// AVX2 max pooling, one plane per call: the 2x2 stride-2 pool (the seed CNN's) forward and
// backward, and any window's forward (ResNet's 3x3 stride-2 stem pool) on gathered taps.
// The scalar kernel's data-dependent branches mispredict on every other window; here the running
// max and its index are chosen with compare masks and blends instead. Only <immintrin.h> is
// included: an inline library function instantiated here would carry AVX2 code that the linker
// may hand to portable callers too.
#include <immintrin.h>

#include "../simd/simd.h"

namespace nn::cpu {
namespace {

// The portable rule (kernels/pool.h): a later cell wins when strictly greater or NaN.
inline __m256 takes8(__m256 v, __m256 best) {
  return _mm256_or_ps(_mm256_cmp_ps(v, best, _CMP_GT_OQ), _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}
inline __m128 takes4(__m128 v, __m128 best) { return _mm_or_ps(_mm_cmpgt_ps(v, best), _mm_cmpunord_ps(v, v)); }

inline void take8(__m256 v, __m256i cand, __m256& best, __m256i& arg) {
  const __m256 m = takes8(v, best);
  best = _mm256_blendv_ps(best, v, m);
  arg = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(arg), _mm256_castsi256_ps(cand), m));
}
inline void take4(__m128 v, __m128i cand, __m128& best, __m128i& arg) {
  const __m128 m = takes4(v, best);
  best = _mm_blendv_ps(best, v, m);
  arg = _mm_castps_si128(_mm_blendv_ps(_mm_castsi128_ps(arg), _mm_castsi128_ps(cand), m));
}

inline bool takes1(float v, float best) { return v > best || v != v; }

}  // namespace

void maxpool2x2_plane_avx2(const float* x, int64_t h, int64_t w, int64_t oh, int64_t ow, float* y, int32_t* idx) {
  const int32_t wi = static_cast<int32_t>(w);
  // In-lane shuffles leave output lanes in the order 0 1 4 5 2 3 6 7; the candidates are built
  // in that order and one cross-lane permute per result restores it.
  const __m256i lane2 = _mm256_setr_epi32(0, 2, 8, 10, 4, 6, 12, 14);
  const __m128i lane2_4 = _mm_setr_epi32(0, 2, 4, 6);
  for (int64_t r = 0; r < oh; ++r) {
    const float* r0 = x + 2 * r * w;
    const float* r1 = r0 + w;
    float* yr = y + r * ow;
    int32_t* ir = idx + r * ow;
    const int32_t base = static_cast<int32_t>(2 * r * w);
    int64_t o = 0;
    for (; o + 8 <= ow; o += 8) {
      const __m256 a0 = _mm256_loadu_ps(r0 + 2 * o), a1 = _mm256_loadu_ps(r0 + 2 * o + 8);
      const __m256 b0 = _mm256_loadu_ps(r1 + 2 * o), b1 = _mm256_loadu_ps(r1 + 2 * o + 8);
      const __m256i c00 = _mm256_add_epi32(_mm256_set1_epi32(base + static_cast<int32_t>(2 * o)), lane2);
      __m256 best = _mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
      __m256i arg = c00;
      take8(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), _mm256_add_epi32(c00, _mm256_set1_epi32(1)), best, arg);
      take8(_mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), _mm256_add_epi32(c00, _mm256_set1_epi32(wi)), best,
            arg);
      take8(_mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), _mm256_add_epi32(c00, _mm256_set1_epi32(wi + 1)), best,
            arg);
      best = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(best), _MM_SHUFFLE(3, 1, 2, 0)));
      arg = _mm256_permute4x64_epi64(arg, _MM_SHUFFLE(3, 1, 2, 0));
      _mm256_storeu_ps(yr + o, best);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(ir + o), arg);
    }
    for (; o + 4 <= ow; o += 4) {
      const __m128 a0 = _mm_loadu_ps(r0 + 2 * o), a1 = _mm_loadu_ps(r0 + 2 * o + 4);
      const __m128 b0 = _mm_loadu_ps(r1 + 2 * o), b1 = _mm_loadu_ps(r1 + 2 * o + 4);
      const __m128i c00 = _mm_add_epi32(_mm_set1_epi32(base + static_cast<int32_t>(2 * o)), lane2_4);
      __m128 best = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));
      __m128i arg = c00;
      take4(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), _mm_add_epi32(c00, _mm_set1_epi32(1)), best, arg);
      take4(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), _mm_add_epi32(c00, _mm_set1_epi32(wi)), best, arg);
      take4(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), _mm_add_epi32(c00, _mm_set1_epi32(wi + 1)), best, arg);
      _mm_storeu_ps(yr + o, best);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(ir + o), arg);
    }
    for (; o < ow; ++o) {
      const int32_t c = base + static_cast<int32_t>(2 * o);
      float best = r0[2 * o];
      int32_t arg = c;
      const float v[3] = {r0[2 * o + 1], r1[2 * o], r1[2 * o + 1]};
      const int32_t cv[3] = {c + 1, c + wi, c + wi + 1};
      for (int k = 0; k < 3; ++k)
        if (takes1(v[k], best)) {
          best = v[k];
          arg = cv[k];
        }
      yr[o] = best;
      ir[o] = arg;
    }
  }
}

void maxpool_plane_avx2(const float* x, int64_t h, int64_t w, int64_t oh, int64_t ow, int64_t kh, int64_t kw,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, float* y, int32_t* idx) {
  // 8 output columns of one row per step; each tap is one gather of the 8 columns it reads
  // (lanes whose column falls in the padding or past the row stay -inf and never win). Taps go
  // in the portable order (rows, then columns), so ties and NaNs resolve as there.
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i zero = _mm256_setzero_si256(), wv = _mm256_set1_epi32(static_cast<int32_t>(w));
  const __m256 ninf = _mm256_set1_ps(-__builtin_inff());
  for (int64_t r = 0; r < oh; ++r) {
    const int64_t top = r * sh - ph, h0 = top < 0 ? 0 : top, h1 = top + kh < h ? top + kh : h;
    for (int64_t o = 0; o < ow; o += 8) {
      const __m256i lanes = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(o)), iota);
      const __m256i live = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(ow)), lanes);
      const __m256i left = _mm256_sub_epi32(_mm256_mullo_epi32(lanes, _mm256_set1_epi32(static_cast<int32_t>(sw))),
                                            _mm256_set1_epi32(static_cast<int32_t>(pw)));
      __m256 best = ninf;
      // An all -inf window reports its first cell.
      __m256i arg = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int32_t>(h0 * w)), _mm256_max_epi32(left, zero));
      for (int64_t ih = h0; ih < h1; ++ih) {
        const float* row = x + ih * w;
        const __m256i rowoff = _mm256_set1_epi32(static_cast<int32_t>(ih * w));
        for (int64_t dw = 0; dw < kw; ++dw) {
          const __m256i col = _mm256_add_epi32(left, _mm256_set1_epi32(static_cast<int32_t>(dw)));
          const __m256i ok =
              _mm256_and_si256(live, _mm256_andnot_si256(_mm256_cmpgt_epi32(zero, col), _mm256_cmpgt_epi32(wv, col)));
          const __m256 v = _mm256_mask_i32gather_ps(ninf, row, col, _mm256_castsi256_ps(ok), 4);
          take8(v, _mm256_add_epi32(rowoff, col), best, arg);
        }
      }
      if (o + 8 <= ow) {
        _mm256_storeu_ps(y + r * ow + o, best);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + r * ow + o), arg);
      } else {
        _mm256_maskstore_ps(y + r * ow + o, live, best);
        _mm256_maskstore_epi32(idx + r * ow + o, live, arg);
      }
    }
  }
}

bool maxpool2x2_backward_plane_avx2(const float* dy, const int32_t* idx, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                    float* dx) {
  const int32_t wi = static_cast<int32_t>(w);
  // 0 + g rather than g: the scatter path adds into zeros, so -0 comes out as +0 in both.
  const __m256 zero8 = _mm256_setzero_ps();
  const __m128 zero4 = _mm_setzero_ps();
  const __m256i lane2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m128i lane2_4 = _mm_setr_epi32(0, 2, 4, 6);
  __m256i ok8 = _mm256_set1_epi32(-1);
  __m128i ok4 = _mm_set1_epi32(-1);
  bool ok1 = true;
  for (int64_t r = 0; r < oh; ++r) {
    float* d0 = dx + 2 * r * w;
    float* d1 = d0 + w;
    const float* g = dy + r * ow;
    const int32_t* ir = idx + r * ow;
    const int32_t base = static_cast<int32_t>(2 * r * w);
    int64_t o = 0;
    for (; o + 8 <= ow; o += 8) {
      const __m256 gv = _mm256_loadu_ps(g + o);
      const __m256i iv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ir + o));
      const __m256i c00 = _mm256_add_epi32(_mm256_set1_epi32(base + static_cast<int32_t>(2 * o)), lane2);
      const __m256i m00 = _mm256_cmpeq_epi32(iv, c00);
      const __m256i m01 = _mm256_cmpeq_epi32(iv, _mm256_add_epi32(c00, _mm256_set1_epi32(1)));
      const __m256i m10 = _mm256_cmpeq_epi32(iv, _mm256_add_epi32(c00, _mm256_set1_epi32(wi)));
      const __m256i m11 = _mm256_cmpeq_epi32(iv, _mm256_add_epi32(c00, _mm256_set1_epi32(wi + 1)));
      ok8 = _mm256_and_si256(ok8, _mm256_or_si256(_mm256_or_si256(m00, m01), _mm256_or_si256(m10, m11)));
      const __m256 v00 = _mm256_add_ps(zero8, _mm256_and_ps(gv, _mm256_castsi256_ps(m00)));
      const __m256 v01 = _mm256_add_ps(zero8, _mm256_and_ps(gv, _mm256_castsi256_ps(m01)));
      const __m256 v10 = _mm256_add_ps(zero8, _mm256_and_ps(gv, _mm256_castsi256_ps(m10)));
      const __m256 v11 = _mm256_add_ps(zero8, _mm256_and_ps(gv, _mm256_castsi256_ps(m11)));
      // Interleave (cell 0, cell 1) pairs back into row order.
      const __m256 lo0 = _mm256_unpacklo_ps(v00, v01), hi0 = _mm256_unpackhi_ps(v00, v01);
      const __m256 lo1 = _mm256_unpacklo_ps(v10, v11), hi1 = _mm256_unpackhi_ps(v10, v11);
      _mm256_storeu_ps(d0 + 2 * o, _mm256_permute2f128_ps(lo0, hi0, 0x20));
      _mm256_storeu_ps(d0 + 2 * o + 8, _mm256_permute2f128_ps(lo0, hi0, 0x31));
      _mm256_storeu_ps(d1 + 2 * o, _mm256_permute2f128_ps(lo1, hi1, 0x20));
      _mm256_storeu_ps(d1 + 2 * o + 8, _mm256_permute2f128_ps(lo1, hi1, 0x31));
    }
    // The same step on 4 outputs in SSE registers: alike in shape, but the 8-wide one needs the
    // cross-lane permute to restore row order, which this one does not (so no shared template).
    for (; o + 4 <= ow; o += 4) {
      const __m128 gv = _mm_loadu_ps(g + o);
      const __m128i iv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(ir + o));
      const __m128i c00 = _mm_add_epi32(_mm_set1_epi32(base + static_cast<int32_t>(2 * o)), lane2_4);
      const __m128i m00 = _mm_cmpeq_epi32(iv, c00);
      const __m128i m01 = _mm_cmpeq_epi32(iv, _mm_add_epi32(c00, _mm_set1_epi32(1)));
      const __m128i m10 = _mm_cmpeq_epi32(iv, _mm_add_epi32(c00, _mm_set1_epi32(wi)));
      const __m128i m11 = _mm_cmpeq_epi32(iv, _mm_add_epi32(c00, _mm_set1_epi32(wi + 1)));
      ok4 = _mm_and_si128(ok4, _mm_or_si128(_mm_or_si128(m00, m01), _mm_or_si128(m10, m11)));
      const __m128 v00 = _mm_add_ps(zero4, _mm_and_ps(gv, _mm_castsi128_ps(m00)));
      const __m128 v01 = _mm_add_ps(zero4, _mm_and_ps(gv, _mm_castsi128_ps(m01)));
      const __m128 v10 = _mm_add_ps(zero4, _mm_and_ps(gv, _mm_castsi128_ps(m10)));
      const __m128 v11 = _mm_add_ps(zero4, _mm_and_ps(gv, _mm_castsi128_ps(m11)));
      _mm_storeu_ps(d0 + 2 * o, _mm_unpacklo_ps(v00, v01));
      _mm_storeu_ps(d0 + 2 * o + 4, _mm_unpackhi_ps(v00, v01));
      _mm_storeu_ps(d1 + 2 * o, _mm_unpacklo_ps(v10, v11));
      _mm_storeu_ps(d1 + 2 * o + 4, _mm_unpackhi_ps(v10, v11));
    }
    for (; o < ow; ++o) {
      const int32_t c = base + static_cast<int32_t>(2 * o), i = ir[o];
      const float gv = g[o];
      ok1 = ok1 && (i == c || i == c + 1 || i == c + wi || i == c + wi + 1);
      d0[2 * o] = i == c ? 0.f + gv : 0.f;
      d0[2 * o + 1] = i == c + 1 ? 0.f + gv : 0.f;
      d1[2 * o] = i == c + wi ? 0.f + gv : 0.f;
      d1[2 * o + 1] = i == c + wi + 1 ? 0.f + gv : 0.f;
    }
    for (int64_t q = 2 * ow; q < w; ++q) d0[q] = d1[q] = 0.f;  // an odd width's last column
  }
  for (int64_t q = 2 * oh * w; q < h * w; ++q) dx[q] = 0.f;  // an odd height's last row
  return ok1 && _mm256_movemask_ps(_mm256_castsi256_ps(ok8)) == 0xff && _mm_movemask_ps(_mm_castsi128_ps(ok4)) == 0xf;
}

}  // namespace nn::cpu
