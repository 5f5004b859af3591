// AVX2 kernels of conv_pool_direct.h. With 16 registers the AVX-512 kernels' 16 input vectors do
// not fit next to the accumulators, so the loops turn around: one output channel at a time, its 9
// weights held in registers, each input vector read by the FMA from the de-interleaved plane
// (in L1). Each output gets the AVX-512 kernel's operations in its order: the same bits. Only
// <immintrin.h> is included, so no inline library function carries AVX2 code out of this file.
#include <immintrin.h>

#include "conv_pool_direct.h"

namespace nn::cpu {
namespace {

// Lanes 0..n-1 set (all 8 when n >= 8).
inline __m256i first8(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n >= 8 ? 8 : static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// x[2r + row][2(q0 + lane) + t] for the 8 lanes: column phase t is the even (t = 0, 2) or odd
// (t = 1, 3) half of column pair q (t < 2) or q + 1.
inline __m256 window_input(const float* planes, int64_t len, int64_t r, int64_t q0, int row, int t) {
  return _mm256_loadu_ps(planes + (2 * (2 * r + row) + (t & 1)) * len + q0 + (t >> 1));
}

inline __m256 as_ps(__m256i v) { return _mm256_castsi256_ps(v); }

}  // namespace

void conv_pool_forward_avx2(const ConvPoolShape& s, const float* planes, const float* w, const float* bias, float* y,
                            int32_t* idx) {
  const int64_t len = conv_pool_phase_len(s), plane = s.ph * s.pw;
  const __m256i lane2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i off[3] = {_mm256_set1_epi32(1), _mm256_set1_epi32(static_cast<int>(s.ow)),
                          _mm256_set1_epi32(static_cast<int>(s.ow + 1))};
  for (int64_t k = 0; k < s.kg; ++k) {
    __m256 wv[9];
    for (int e = 0; e < 9; ++e) wv[e] = _mm256_set1_ps(w[9 * k + e]);
    const __m256 b = _mm256_set1_ps(bias ? bias[k] : 0.f);
    for (int64_t r = 0; r < s.ph; ++r)
      for (int64_t q0 = 0; q0 < s.pw; q0 += 8) {
        __m256 acc[2][2] = {{b, b}, {b, b}};
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j)
            for (int dr = 0; dr < 2; ++dr)
              for (int dc = 0; dc < 2; ++dc)
                acc[dr][dc] =
                    _mm256_fmadd_ps(wv[3 * i + j], window_input(planes, len, r, q0, dr + i, dc + j), acc[dr][dc]);
        const __m256i base = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(2 * r * s.ow + 2 * q0)), lane2);
        __m256 best = acc[0][0];
        __m256i arg = base;
        const __m256 cand[3] = {acc[0][1], acc[1][0], acc[1][1]};
        for (int e = 0; e < 3; ++e) {
          const __m256 take =
              _mm256_or_ps(_mm256_cmp_ps(cand[e], best, _CMP_GT_OQ), _mm256_cmp_ps(cand[e], cand[e], _CMP_UNORD_Q));
          best = _mm256_blendv_ps(best, cand[e], take);
          arg = _mm256_castps_si256(_mm256_blendv_ps(as_ps(arg), as_ps(_mm256_add_epi32(base, off[e])), take));
        }
        float* yo = y + k * plane + r * s.pw + q0;
        int32_t* io = idx + k * plane + r * s.pw + q0;
        if (s.pw - q0 >= 8) {
          _mm256_storeu_ps(yo, best);
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(io), arg);
        } else {
          const __m256i m = first8(s.pw - q0);
          _mm256_maskstore_ps(yo, m, best);
          _mm256_maskstore_epi32(io, m, arg);
        }
      }
  }
}

bool conv_pool_backward_avx2(const ConvPoolShape& s, const float* planes, const float* dy, const float* relu_y,
                             const int32_t* idx, float* acc) {
  const int64_t len = conv_pool_phase_len(s), plane = s.ph * s.pw;
  const __m256i lane2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
  const __m256i cell[4] = {_mm256_setzero_si256(), _mm256_set1_epi32(1), _mm256_set1_epi32(static_cast<int>(s.ow)),
                           _mm256_set1_epi32(static_cast<int>(s.ow + 1))};
  for (int64_t k = 0; k < s.kg; ++k) {
    __m256 gw[9], gb = _mm256_setzero_ps();
    for (int e = 0; e < 9; ++e) gw[e] = _mm256_setzero_ps();
    for (int64_t r = 0; r < s.ph; ++r)
      for (int64_t q0 = 0; q0 < s.pw; q0 += 8) {
        const __m256i m = first8(s.pw - q0);
        const int64_t at = k * plane + r * s.pw + q0;
        __m256 g = _mm256_maskload_ps(dy + at, m);
        // relu's backward: x <= 0 gives +0, NaN passes (kernels/ops.h), read off relu's output.
        if (relu_y)
          g = _mm256_andnot_ps(_mm256_cmp_ps(_mm256_maskload_ps(relu_y + at, m), _mm256_setzero_ps(), _CMP_LE_OQ), g);
        const __m256i rel =
            _mm256_sub_epi32(_mm256_maskload_epi32(idx + at, m),
                             _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(2 * r * s.ow + 2 * q0)), lane2));
        // The window cell each pooled gradient came from (lanes past the row hold zero).
        __m256 gc[4], placed = _mm256_setzero_ps();
        for (int e = 0; e < 4; ++e) {
          const __m256 is = as_ps(_mm256_cmpeq_epi32(rel, cell[e]));
          gc[e] = _mm256_and_ps(g, is);
          placed = _mm256_or_ps(placed, is);
        }
        const int want = _mm256_movemask_ps(as_ps(m));
        if ((_mm256_movemask_ps(placed) & want) != want) return false;  // an index outside its own window (caller-made)
        gb = _mm256_add_ps(gb, g);
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j)
            for (int dr = 0; dr < 2; ++dr)
              for (int dc = 0; dc < 2; ++dc)
                gw[3 * i + j] =
                    _mm256_fmadd_ps(gc[2 * dr + dc], window_input(planes, len, r, q0, dr + i, dc + j), gw[3 * i + j]);
      }
    float* a = acc + k * 10 * 16;
    for (int e = 0; e < 9; ++e) _mm256_storeu_ps(a + 16 * e, _mm256_add_ps(_mm256_loadu_ps(a + 16 * e), gw[e]));
    _mm256_storeu_ps(a + 16 * 9, _mm256_add_ps(_mm256_loadu_ps(a + 16 * 9), gb));
  }
  return true;
}

}  // namespace nn::cpu
