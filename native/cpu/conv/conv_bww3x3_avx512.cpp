// AVX-512 tiles of the 3x3 weight gradient (conv_bww3x3.h): 9 taps x 32 output channels is 18
// accumulators; per position two vector loads of dy and nine broadcasts from the image feed 18
// fused multiply-adds. Per element the same operations as the AVX2 tiles (one fused multiply-add
// per position, in order, from zero), so results agree bit for bit.
#include <immintrin.h>

#include "conv_bww3x3.h"
#include "transpose16_avx512.h"

namespace nn::cpu {
namespace {

template <int NV>
void tile(const Bww3x3Tile& t, float* out) {
  __m512 acc[9][NV];
  for (int i = 0; i < 9; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  const int64_t rw = t.roww;
  const float* d = t.dyt;
  for (int64_t n = 0; n < t.nimg; ++n)
    for (int64_t oh = 0; oh < t.oh; ++oh) {
      const float* row = t.x + n * t.img + oh * rw;
      int64_t ow = 0;
      // Two positions at a time: position ow + 1's tap (r, s) reads position ow's tap (r, s + 1),
      // so 12 broadcasts serve both (18 one at a time). Each accumulator still takes position
      // ow's product, then ow + 1's: the same sequence, the same bits.
      for (; ow + 1 < t.ow; ow += 2, d += 2 * t.ldt) {
        const float* q = row + ow;
        __m512 d0[NV], d1[NV];
        for (int v = 0; v < NV; ++v) {
          d0[v] = _mm512_load_ps(d + 16 * v);
          d1[v] = _mm512_load_ps(d + t.ldt + 16 * v);
        }
        for (int r = 0; r < 3; ++r) {
          __m512 xv[4];
          for (int s = 0; s < 4; ++s) xv[s] = _mm512_set1_ps(q[r * rw + s]);
          for (int s = 0; s < 3; ++s)
            for (int v = 0; v < NV; ++v) {
              acc[r * 3 + s][v] = _mm512_fmadd_ps(xv[s], d0[v], acc[r * 3 + s][v]);
              acc[r * 3 + s][v] = _mm512_fmadd_ps(xv[s + 1], d1[v], acc[r * 3 + s][v]);
            }
        }
      }
      for (; ow < t.ow; ++ow, d += t.ldt) {
        const float* q = row + ow;
        __m512 dv[NV];
        for (int v = 0; v < NV; ++v) dv[v] = _mm512_load_ps(d + 16 * v);
        for (int r = 0; r < 3; ++r)
          for (int s = 0; s < 3; ++s) {
            const __m512 xv = _mm512_set1_ps(q[r * rw + s]);
            for (int v = 0; v < NV; ++v) acc[r * 3 + s][v] = _mm512_fmadd_ps(xv, dv[v], acc[r * 3 + s][v]);
          }
      }
    }
  for (int i = 0; i < 9; ++i)
    for (int v = 0; v < NV; ++v) _mm512_store_ps(out + i * 16 * NV + 16 * v, acc[i][v]);
}

}  // namespace

void bww3x3_tile_avx512(const Bww3x3Tile& t, int kw, float* out) {
  if (kw == 32)
    tile<2>(t, out);
  else
    tile<1>(t, out);
}

}  // namespace nn::cpu

namespace nn::cpu {

// 16 x 16 tiles (16 output channels by 16 positions) transposed in registers: a 16-lane gather
// per position cost this pass as much as half the weight gradient's products. The rows of the
// next band of 16 channels are prefetched at the same positions (past the last band: the next
// image's first, which follows in memory when the group is the whole of dy): a band reads 16 short
// strided streams that the hardware prefetcher does not pick up.
void bww3x3_transpose_avx512(const float* src, int64_t k_n, int64_t q_n, float* dst, int64_t ldd) {
  for (int64_t k0 = 0; k0 < ldd; k0 += 16)
    for (int64_t q0 = 0; q0 < q_n; q0 += 16) {
      const int64_t nq = q_n - q0 < 16 ? q_n - q0 : 16;
      const __mmask16 m = nq >= 16 ? __mmask16(0xffff) : __mmask16((1u << nq) - 1);
      for (int64_t l = 0; l < 16; ++l)
        _mm_prefetch(reinterpret_cast<const char*>(src + (k0 + 16 + l) * q_n + q0), _MM_HINT_T0);
      __m512 r[16];
      for (int64_t l = 0; l < 16; ++l)
        r[l] = k0 + l < k_n ? _mm512_maskz_loadu_ps(m, src + (k0 + l) * q_n + q0) : _mm512_setzero_ps();
      transpose16(r);
      for (int64_t j = 0; j < nq; ++j) _mm512_store_ps(dst + (q0 + j) * ldd + k0, r[j]);
    }
}

}  // namespace nn::cpu
