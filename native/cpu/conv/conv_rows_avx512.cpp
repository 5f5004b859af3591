// AVX-512 row tiles (conv_rows.h): up to 12 outputs by 32 channels is 24 accumulators; per
// product step two weight vectors and one broadcast per output feed 24 fused multiply-adds. Per
// element the same operations as the AVX2 tiles, so results agree bit for bit.
#include <immintrin.h>

#include "conv_rows.h"
#include "../simd/dispatch.h"

namespace nn::cpu {
namespace {

template <int NP, int NV>
void tile(const RowTile& t) {
  __m512 acc[NP][NV];
  for (int v = 0; v < NV; ++v) {
    const __m512 b = t.bias ? _mm512_loadu_ps(t.bias + 16 * v) : _mm512_setzero_ps();
    for (int i = 0; i < NP; ++i) acc[i][v] = b;
  }
  const float* w = t.w;
  if (t.runs3) {
    // Three steps whose inputs are one run x[o + e], e < NP + 2: output i takes e = i, i + 1,
    // i + 2 with the run's weights 0, 1, 2, so each input is broadcast once and feeds the outputs
    // it serves, and every accumulator still gets the steps in order (the same bits).
    for (int64_t j = 0; j < t.J; j += 3, w += 3 * t.ldw) {
      const float* xj = t.x + t.off[j];
      __m512 wv[3][NV];
      for (int s = 0; s < 3; ++s)
        for (int v = 0; v < NV; ++v) wv[s][v] = _mm512_loadu_ps(w + s * t.ldw + 16 * v);
#pragma GCC unroll 14
      for (int e = 0; e < NP + 2; ++e) {
        const __m512 xv = _mm512_set1_ps(xj[e]);
#pragma GCC unroll 3
        for (int s = 0; s < 3; ++s) {
          const int i = e - s;
          if (i < 0 || i >= NP) continue;
          for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(xv, wv[s][v], acc[i][v]);
        }
      }
    }
  } else {
    for (int64_t j = 0; j < t.J; ++j, w += t.ldw) {
      const float* xj = t.x + t.off[j];
      __m512 wv[NV];
      for (int v = 0; v < NV; ++v) wv[v] = _mm512_loadu_ps(w + 16 * v);
      for (int i = 0; i < NP; ++i) {
        const __m512 xv = _mm512_set1_ps(xj[i]);
        for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(xv, wv[v], acc[i][v]);
      }
    }
  }
  for (int i = 0; i < NP; ++i)
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(t.out + i * t.ldo + 16 * v, acc[i][v]);
}

template <int NV>
void dispatch(const RowTile& t) {
  simd::with_count<1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12>(t.npos, [&](auto np) { tile<decltype(np)::value, NV>(t); });
}

}  // namespace

void rows_tile_avx512(const RowTile& t) { t.kw == 32 ? dispatch<2>(t) : dispatch<1>(t); }

void rows_unpack_avx512(const float* src, int64_t lds, int64_t k_n, int64_t q_n, float* dst) {
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i stride = _mm512_mullo_epi32(iota, _mm512_set1_epi32(static_cast<int>(lds)));
  for (int64_t k = 0; k < k_n; ++k)
    for (int64_t q0 = 0; q0 < q_n; q0 += 16) {
      const int64_t n = q_n - q0;
      const __mmask16 m = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
      const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, stride, src + q0 * lds + k, 4);
      _mm512_mask_storeu_ps(dst + k * q_n + q0, m, v);
    }
}

}  // namespace nn::cpu
