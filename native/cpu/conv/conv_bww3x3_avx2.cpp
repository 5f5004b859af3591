// AVX2 tiles of the 3x3 weight gradient (conv_bww3x3.h). Sixteen registers hold one kernel row's
// 3 taps (or two rows' 6) by 16 output channels at a time, so a tile takes a few passes over the
// block's positions; per element the operations are those of the AVX-512 tile (one fused
// multiply-add per position, in order, from zero).
#include <immintrin.h>

#include "conv_bww3x3.h"

namespace nn::cpu {
namespace {

// Taps of kernel rows [R0, R0 + RR) by the 16 columns at l0, into out (row stride kw). The
// accumulators are named variables: kept in an array, GCC stores them to the stack at every step.
template <int R0, int RR>
void pass(const Bww3x3Tile& t, int l0, int kw, float* out) {
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00;
  __m256 b00 = a00, b01 = a00, b02 = a00, b10 = a00, b11 = a00, b12 = a00;
  const int64_t rw = t.roww;
  const float* d = t.dyt + l0;
  for (int64_t n = 0; n < t.nimg; ++n)
    for (int64_t oh = 0; oh < t.oh; ++oh) {
      const float* xrow = t.x + n * t.img + (oh + R0) * rw;
      // One position per step: the step's 16 columns of dy, then each tap's broadcast input.
      const auto step = [&](const float* q, const float* dq) {
        const __m256 d0 = _mm256_load_ps(dq), d1 = _mm256_load_ps(dq + 8);
        __m256 xv = _mm256_broadcast_ss(q);
        a00 = _mm256_fmadd_ps(xv, d0, a00);
        a10 = _mm256_fmadd_ps(xv, d1, a10);
        xv = _mm256_broadcast_ss(q + 1);
        a01 = _mm256_fmadd_ps(xv, d0, a01);
        a11 = _mm256_fmadd_ps(xv, d1, a11);
        xv = _mm256_broadcast_ss(q + 2);
        a02 = _mm256_fmadd_ps(xv, d0, a02);
        a12 = _mm256_fmadd_ps(xv, d1, a12);
        if (RR == 2) {
          xv = _mm256_broadcast_ss(q + rw);
          b00 = _mm256_fmadd_ps(xv, d0, b00);
          b10 = _mm256_fmadd_ps(xv, d1, b10);
          xv = _mm256_broadcast_ss(q + rw + 1);
          b01 = _mm256_fmadd_ps(xv, d0, b01);
          b11 = _mm256_fmadd_ps(xv, d1, b11);
          xv = _mm256_broadcast_ss(q + rw + 2);
          b02 = _mm256_fmadd_ps(xv, d0, b02);
          b12 = _mm256_fmadd_ps(xv, d1, b12);
        }
      };
      // Two positions per iteration: half the loop's bookkeeping (the instruction-count guard).
      const int64_t ld = t.ldt;
      int64_t ow = 0;
      for (; ow + 2 <= t.ow; ow += 2, d += 2 * ld) {
        step(xrow + ow, d);
        step(xrow + ow + 1, d + ld);
      }
      if (ow < t.ow) {
        step(xrow + ow, d);
        d += ld;
      }
    }
  float* o = out + R0 * 3 * kw + l0;
  const __m256 lo[6] = {a00, a01, a02, b00, b01, b02}, hi[6] = {a10, a11, a12, b10, b11, b12};
  for (int i = 0; i < RR * 3; ++i) {
    _mm256_store_ps(o + i * kw, lo[i]);
    _mm256_store_ps(o + i * kw + 8, hi[i]);
  }
}

}  // namespace

void bww3x3_tile_avx2(const Bww3x3Tile& t, int kw, float* out) {
  for (int l0 = 0; l0 < kw; l0 += 16) {
    pass<0, 2>(t, l0, kw, out);
    pass<2, 1>(t, l0, kw, out);
  }
}

}  // namespace nn::cpu

namespace nn::cpu {

void bww3x3_transpose_avx2(const float* src, int64_t k_n, int64_t q_n, float* dst, int64_t ldd) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i stride = _mm256_mullo_epi32(iota, _mm256_set1_epi32(static_cast<int>(q_n)));
  for (int64_t k0 = 0; k0 < ldd; k0 += 8) {
    const __m256 m = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(k_n - k0)), iota));
    const float* s = src + k0 * q_n;
    for (int64_t q = 0; q < q_n; ++q)
      _mm256_store_ps(dst + q * ldd + k0, _mm256_mask_i32gather_ps(_mm256_setzero_ps(), s + q, stride, m, 4));
  }
}

}  // namespace nn::cpu
