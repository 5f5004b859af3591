// AVX-512 row tiles (conv_rows.h): up to 12 outputs by 32 channels is 24 accumulators; per
// product step two weight vectors and one broadcast per output feed 24 fused multiply-adds. Per
// element the same operations as the AVX2 tiles, so results agree bit for bit.
#include <immintrin.h>

#include "conv_rows.h"
#include "transpose16_avx512.h"
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

// 16 x 16 tiles transposed in registers (a 16-lane gather per channel and 16 positions cost
// about as much as a third of the tiles' products).
void rows_unpack_avx512(const float* src, int64_t lds, int64_t k_n, int64_t q_n, float* dst) {
  for (int64_t q0 = 0; q0 < q_n; q0 += 16) {
    const int64_t nq = q_n - q0 < 16 ? q_n - q0 : 16;
    const __mmask16 m = nq >= 16 ? __mmask16(0xffff) : __mmask16((1u << nq) - 1);
    for (int64_t k0 = 0; k0 < k_n; k0 += 16) {
      const int64_t nk = k_n - k0 < 16 ? k_n - k0 : 16;
      const __mmask16 mk = nk >= 16 ? __mmask16(0xffff) : __mmask16((1u << nk) - 1);
      __m512 r[16];
      for (int64_t i = 0; i < 16; ++i)
        r[i] = i < nq ? _mm512_maskz_loadu_ps(mk, src + (q0 + i) * lds + k0) : _mm512_setzero_ps();
      transpose16(r);
      for (int64_t j = 0; j < nk; ++j) _mm512_mask_storeu_ps(dst + (k0 + j) * q_n + q0, m, r[j]);
    }
  }
}

namespace {

// The max of 2x2 cells at c (channels k..k+15 of four rows of a position-major scratch: c, c + 1
// position, c + ow positions, c + ow + 1 positions) by the rule of kernels/pool.h (a later cell
// wins when strictly greater or NaN), then relu when asked (kernels/ops.h). max_ps(v, best) is
// v > best ? v : best (an earlier cell wins a tie, +0 against -0 too, and a NaN best stays); the
// masked move then takes a NaN v.
template <bool kRelu>
inline __m512 pool4(const float* c, int64_t lds, int64_t ow, __mmask16 mk) {
  const float* c1 = c + ow * lds;
  __m512 best = _mm512_maskz_loadu_ps(mk, c);
  for (const float* p : {c + lds, c1, c1 + lds}) {
    const __m512 v = _mm512_maskz_loadu_ps(mk, p);
    best = _mm512_mask_mov_ps(_mm512_max_ps(v, best), _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), v);
  }
  if constexpr (kRelu) best = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(best, _mm512_setzero_ps(), _CMP_NLE_UQ), best);
  return best;
}

template <bool kRelu>
void pool_unpack(const float* src, int64_t lds, int64_t k_n, int64_t ow, int64_t ph, int64_t pw, float* dst) {
  const int64_t q_n = ph * pw;
  for (int64_t q0 = 0; q0 < q_n; q0 += 16) {
    const int64_t nq = q_n - q0 < 16 ? q_n - q0 : 16;
    const __mmask16 m = nq >= 16 ? __mmask16(0xffff) : __mmask16((1u << nq) - 1);
    // Each pooled output's first window cell, as an offset into src; past nq, the last one again
    // (read, not stored), so the 16 rows below are computed without a branch.
    int64_t cell[16];
    for (int64_t i = 0; i < 16; ++i) {
      const int64_t q = q0 + (i < nq ? i : nq - 1);
      cell[i] = (2 * (q / pw) * ow + 2 * (q % pw)) * lds;
    }
    for (int64_t k0 = 0; k0 < k_n; k0 += 16) {
      const int64_t nk = k_n - k0 < 16 ? k_n - k0 : 16;
      const __mmask16 mk = nk >= 16 ? __mmask16(0xffff) : __mmask16((1u << nk) - 1);
      __m512 r[16];
#pragma GCC unroll 16
      for (int i = 0; i < 16; ++i) r[i] = pool4<kRelu>(src + cell[i] + k0, lds, ow, mk);
      transpose16(r);
      if (nk == 16) {
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j) _mm512_mask_storeu_ps(dst + (k0 + j) * q_n + q0, m, r[j]);
      } else {
        for (int64_t j = 0; j < nk; ++j) _mm512_mask_storeu_ps(dst + (k0 + j) * q_n + q0, m, r[j]);
      }
    }
  }
}

}  // namespace

void rows_pool_unpack_avx512(const float* src, int64_t lds, int64_t k_n, int64_t ow, int64_t ph, int64_t pw, bool relu,
                             float* dst) {
  relu ? pool_unpack<true>(src, lds, k_n, ow, ph, pw, dst) : pool_unpack<false>(src, lds, k_n, ow, ph, pw, dst);
}

}  // namespace nn::cpu
