// AVX2 input and output transforms of the Winograd F(2x2, 3x3) convolution (conv_winograd.h),
// 8 tiles per vector. Only <immintrin.h> is included (see pool_avx2.cpp).
#include <immintrin.h>

#include "conv_winograd.h"

namespace nn::cpu {

void winograd_input_panel_avx2(const float* base, int64_t plane, int64_t roww, const int32_t* off, int64_t channels,
                               float* vp) {
  const int64_t xs = channels * 16;  // floats between transform elements in vp
  for (int half = 0; half < 2; ++half) {
    const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(off + 8 * half));
    for (int64_t c = 0; c < channels; ++c) {
      const float* b = base + c * plane;
      __m256 d[4][4];
      for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) d[i][j] = _mm256_i32gather_ps(b + i * roww + j, idx, 4);
      // r = B^T d (rows), then v = r B (columns); B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
      __m256 r[4][4];
      for (int j = 0; j < 4; ++j) {
        r[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
        r[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
        r[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
        r[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
      }
      float* o = vp + c * 16 + 8 * half;
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(o + (i * 4 + 0) * xs, _mm256_sub_ps(r[i][0], r[i][2]));
        _mm256_storeu_ps(o + (i * 4 + 1) * xs, _mm256_add_ps(r[i][1], r[i][2]));
        _mm256_storeu_ps(o + (i * 4 + 2) * xs, _mm256_sub_ps(r[i][2], r[i][1]));
        _mm256_storeu_ps(o + (i * 4 + 3) * xs, _mm256_sub_ps(r[i][1], r[i][3]));
      }
    }
  }
}

void winograd_output_panel_avx2(const float* mp, int64_t kchan, const float* bias, float* y, const int64_t* ybase,
                                const uint8_t* mask, int nlanes, int64_t ohw, int64_t ow) {
  const int64_t xs = kchan * 16;
  alignas(32) float out[4][8];
  for (int64_t k = 0; k < kchan; ++k) {
    const __m256 b = _mm256_set1_ps(bias ? bias[k] : 0.f);
    for (int half = 0; half < 2 && 8 * half < nlanes; ++half) {
      const float* m = mp + k * 16 + 8 * half;
      // s = rows 0+1+2, t = rows 1-2-3 of m (A^T = [1 1 1 0; 0 1 -1 -1]), then the same on columns.
      __m256 s[4], t[4];
      for (int j = 0; j < 4; ++j) {
        const __m256 m0 = _mm256_loadu_ps(m + (0 * 4 + j) * xs), m1 = _mm256_loadu_ps(m + (1 * 4 + j) * xs);
        const __m256 m2 = _mm256_loadu_ps(m + (2 * 4 + j) * xs), m3 = _mm256_loadu_ps(m + (3 * 4 + j) * xs);
        s[j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        t[j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
      }
      _mm256_store_ps(out[0], _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[0], s[1]), s[2]), b));
      _mm256_store_ps(out[1], _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[1], s[2]), s[3]), b));
      _mm256_store_ps(out[2], _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(t[0], t[1]), t[2]), b));
      _mm256_store_ps(out[3], _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(t[1], t[2]), t[3]), b));
      const int lanes = nlanes - 8 * half < 8 ? nlanes - 8 * half : 8;
      for (int l = 0; l < lanes; ++l) {
        const int lane = 8 * half + l;
        float* p = y + ybase[lane] + k * ohw;
        const uint8_t f = mask[lane];
        p[0] = out[0][l];
        if (f & 1) p[1] = out[1][l];
        if (f & 2) p[ow] = out[2][l];
        if (f == 3) p[ow + 1] = out[3][l];
      }
    }
  }
}

}  // namespace nn::cpu
