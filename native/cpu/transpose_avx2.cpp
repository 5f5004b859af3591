// AVX2 transpose in 8x8 blocks (loads of 8 input rows, an in-register transpose, stores of 8
// output rows); ragged edges element by element. Only <immintrin.h> is included (see
// pool_avx2.cpp).
#include <immintrin.h>

#include "transpose.h"

namespace nn::cpu {
namespace {

inline void transpose8(__m256 r[8]) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

}  // namespace

void transpose_f32_avx2(const float* in, int64_t rows, int64_t cols, int64_t ldi, float* out, int64_t ldo,
                        const TransposeMasks& masks) {
  const int64_t r8 = rows / 8 * 8, c8 = cols / 8 * 8;
  const char* present = masks.rows_present;
  auto at = [&](int64_t r, int64_t c) { return present && !present[r] ? 0.f : in[r * ldi + c]; };
  auto needed = [&](int64_t c0, int64_t c1) {
    if (!masks.cols_needed) return true;
    for (int64_t c = c0; c < c1; ++c)
      if (masks.cols_needed[c]) return true;
    return false;
  };
  // Column bands of 8 outer: a band's 8 output rows are written sequentially.
  for (int64_t c = 0; c < c8; c += 8) {
    if (!needed(c, c + 8)) continue;
    for (int64_t r = 0; r < r8; r += 8) {
      __m256 v[8];
      for (int i = 0; i < 8; ++i)
        v[i] = present && !present[r + i] ? _mm256_setzero_ps() : _mm256_loadu_ps(in + (r + i) * ldi + c);
      transpose8(v);
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(out + (c + i) * ldo + r, v[i]);
    }
    for (int64_t i = c; i < c + 8; ++i)
      for (int64_t r = r8; r < rows; ++r) out[i * ldo + r] = at(r, i);
  }
  for (int64_t i = c8; i < cols; ++i)
    if (needed(i, i + 1))
      for (int64_t r = 0; r < rows; ++r) out[i * ldo + r] = at(r, i);
}

}  // namespace nn::cpu
