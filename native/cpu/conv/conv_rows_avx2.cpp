// AVX2 row tiles (conv_rows.h): up to 6 outputs by 16 channels (12 accumulators) per pass, so a
// tile takes a few passes; per element the operations are those of the AVX-512 tile (bias, then
// one fused multiply-add per product step, in order), so results agree bit for bit.
#include <immintrin.h>

#include "conv_rows.h"
#include "../simd/dispatch.h"

namespace nn::cpu {
namespace {

// Outputs [i0, i0 + NP) by the 16 channels at l0. The accumulators are named variables: kept in
// an array, GCC stores them to the stack at every step.
template <int NP>
void pass(const RowTile& t, int i0, int l0) {
  const __m256 b0 = t.bias ? _mm256_loadu_ps(t.bias + l0) : _mm256_setzero_ps();
  const __m256 b1 = t.bias ? _mm256_loadu_ps(t.bias + l0 + 8) : _mm256_setzero_ps();
  __m256 l_0 = b0, l_1 = b0, l_2 = b0, l_3 = b0, l_4 = b0, l_5 = b0;
  __m256 h_0 = b1, h_1 = b1, h_2 = b1, h_3 = b1, h_4 = b1, h_5 = b1;
  const float* w = t.w + l0;
  for (int64_t j = 0; j < t.J; ++j, w += t.ldw) {
    const float* xj = t.x + t.off[j] + i0;
    const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
#define NN_ROWS_STEP(i)                            \
  if (NP > i) {                                    \
    const __m256 xv = _mm256_broadcast_ss(xj + i); \
    l_##i = _mm256_fmadd_ps(xv, w0, l_##i);        \
    h_##i = _mm256_fmadd_ps(xv, w1, h_##i);        \
  }
    NN_ROWS_STEP(0) NN_ROWS_STEP(1) NN_ROWS_STEP(2) NN_ROWS_STEP(3) NN_ROWS_STEP(4) NN_ROWS_STEP(5)
#undef NN_ROWS_STEP
  }
  const __m256 lo[6] = {l_0, l_1, l_2, l_3, l_4, l_5}, hi[6] = {h_0, h_1, h_2, h_3, h_4, h_5};
  for (int i = 0; i < NP; ++i) {
    _mm256_storeu_ps(t.out + (i0 + i) * t.ldo + l0, lo[i]);
    _mm256_storeu_ps(t.out + (i0 + i) * t.ldo + l0 + 8, hi[i]);
  }
}

void pass_n(const RowTile& t, int i0, int np, int l0) {
  simd::with_count<1, 2, 3, 4, 5, 6>(np, [&](auto n) { pass<decltype(n)::value>(t, i0, l0); });
}

}  // namespace

void rows_tile_avx2(const RowTile& t) {
  for (int l0 = 0; l0 < t.kw; l0 += 16)
    for (int i0 = 0; i0 < t.npos; i0 += 6) pass_n(t, i0, t.npos - i0 < 6 ? t.npos - i0 : 6, l0);
}

void rows_unpack_avx2(const float* src, int64_t lds, int64_t k_n, int64_t q_n, float* dst) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i stride = _mm256_mullo_epi32(iota, _mm256_set1_epi32(static_cast<int>(lds)));
  for (int64_t k = 0; k < k_n; ++k)
    for (int64_t q0 = 0; q0 < q_n; q0 += 8) {
      const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(q_n - q0)), iota);
      const __m256 v =
          _mm256_mask_i32gather_ps(_mm256_setzero_ps(), src + q0 * lds + k, stride, _mm256_castsi256_ps(m), 4);
      _mm256_maskstore_ps(dst + k * q_n + q0, m, v);
    }
}

}  // namespace nn::cpu
