// AVX2 transpose in 8x8 blocks (loads of 8 input rows, an in-register transpose, stores of 8
// output rows); ragged edges element by element. Only <immintrin.h> is included (see
// pool_avx2.cpp).
#include <immintrin.h>

#include "transpose.h"
#include "transpose8_avx2.h"

namespace nn::cpu {

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
      avx2::transpose8(v);
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
