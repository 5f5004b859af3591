// AVX2 direct weight gradient for convolutions with few taps per output channel (the seed CNN's
// conv1: one input channel, 3x3): a GEMM would have a k dimension of C*R*S <= 16 and spend its
// time packing dy, whereas here dy is read once per kernel row straight from memory. Stride 1,
// no padding. Only <immintrin.h> is included (see pool_avx2.cpp).
#include <immintrin.h>

#include "conv_direct.h"

namespace nn::cpu {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// KB output channels x S taps of one kernel row (c, r) over one image: KB*S <= 12 accumulators.
template <int S, int KB>
void row_block(const DirectConv& d, const float* xc, const float* dyk, float* dw_block) {
  __m256 acc[KB][S];
  for (int i = 0; i < KB; ++i)
    for (int s = 0; s < S; ++s) acc[i][s] = _mm256_setzero_ps();
  const int64_t ohw = d.oh * d.ow;
  const int64_t full = d.ow / 8 * 8;
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(d.ow - full)), iota);
  for (int64_t oh = 0; oh < d.oh; ++oh) {
    const float* xr = xc + oh * d.w;
    const float* dr = dyk + oh * d.ow;
    for (int64_t ow = 0; ow < full; ow += 8) {
      __m256 xv[S];
      for (int s = 0; s < S; ++s) xv[s] = _mm256_loadu_ps(xr + ow + s * d.dil_w);
      for (int i = 0; i < KB; ++i) {
        const __m256 g = _mm256_loadu_ps(dr + i * ohw + ow);
        for (int s = 0; s < S; ++s) acc[i][s] = _mm256_fmadd_ps(g, xv[s], acc[i][s]);
      }
    }
    if (full < d.ow) {  // masked loads: lanes past the row are never read
      __m256 xv[S];
      for (int s = 0; s < S; ++s) xv[s] = _mm256_maskload_ps(xr + full + s * d.dil_w, tail);
      for (int i = 0; i < KB; ++i) {
        const __m256 g = _mm256_maskload_ps(dr + i * ohw + full, tail);
        for (int s = 0; s < S; ++s) acc[i][s] = _mm256_fmadd_ps(g, xv[s], acc[i][s]);
      }
    }
  }
  const int64_t wk = d.c * d.r * S;  // floats between output channels in dw
  for (int i = 0; i < KB; ++i)
    for (int s = 0; s < S; ++s) dw_block[i * wk + s] += hsum(acc[i][s]);
}

template <int S, int KB>
void run(const DirectConv& d, const float* x, const float* dy, int64_t n0, int64_t n1, float* dw) {
  const int64_t hw = d.h * d.w, ohw = d.oh * d.ow, crs = d.c * d.r * S;
  for (int64_t i = 0; i < d.k * crs; ++i) dw[i] = 0.f;
  // Kernel rows innermost: a block's dy planes stay in L1 while every row reads them.
  for (int64_t n = n0; n < n1; ++n) {
    int64_t k = 0;
    for (; k + KB <= d.k; k += KB)
      for (int64_t c = 0; c < d.c; ++c)
        for (int64_t r = 0; r < d.r; ++r)
          row_block<S, KB>(d, x + (n * d.x_channels + c) * hw + r * d.dil_h * d.w, dy + (n * d.dy_channels + k) * ohw,
                           dw + k * crs + (c * d.r + r) * S);
    for (; k < d.k; ++k)
      for (int64_t c = 0; c < d.c; ++c)
        for (int64_t r = 0; r < d.r; ++r)
          row_block<S, 1>(d, x + (n * d.x_channels + c) * hw + r * d.dil_h * d.w, dy + (n * d.dy_channels + k) * ohw,
                          dw + k * crs + (c * d.r + r) * S);
  }
}

}  // namespace

bool conv_bww_direct_avx2(const DirectConv& d, const float* x, const float* dy, int64_t n0, int64_t n1, float* dw) {
  switch (d.s) {
    case 1:
      run<1, 12>(d, x, dy, n0, n1, dw);
      return true;
    case 2:
      run<2, 6>(d, x, dy, n0, n1, dw);
      return true;
    case 3:
      run<3, 4>(d, x, dy, n0, n1, dw);
      return true;
    case 4:
      run<4, 3>(d, x, dy, n0, n1, dw);
      return true;
    case 5:
      run<5, 2>(d, x, dy, n0, n1, dw);
      return true;
    default:
      return false;
  }
}

}  // namespace nn::cpu
