// The 12x32 tile of conv_bwi_span.h: 24 accumulators, two B vectors and twelve broadcasts per
// 24 fused multiply-adds (the product sequence of gemm.h's 12x32 tile), then each row spread onto
// its span of dx and added there.
#include <immintrin.h>

#include "conv_bwi_span.h"

namespace nn::cpu {

void bwi_span_tile_avx512(int64_t kc, const float* a, int64_t a_step, const float* b0, const float* b1,
                          float* const* rows, const BwiSpan& span) {
  constexpr int R = 12, H = 6;
  __m512 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  const float* a1 = a + a_step;
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 v0 = _mm512_load_ps(b0 + p * 16), v1 = _mm512_load_ps(b1 + p * 16);
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(r < H ? a[p * H + r] : a1[p * H + r - H]);
      acc[r][0] = _mm512_fmadd_ps(av, v0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, v1, acc[r][1]);
    }
  }
  for (int v = 0; v < span.nvec; ++v) {
    const __m512i idx = _mm512_load_si512(span.idx[v]);
    const __mmask16 z = span.zmask[v], s = span.smask[v];
#pragma GCC unroll 12
    for (int r = 0; r < R; ++r) {
      float* o = rows[r] + 16 * v;
      const __m512 add = _mm512_maskz_permutex2var_ps(z, acc[r][0], idx, acc[r][1]);
      _mm512_mask_storeu_ps(o, s, _mm512_add_ps(_mm512_maskz_loadu_ps(s, o), add));
    }
  }
}

}  // namespace nn::cpu
