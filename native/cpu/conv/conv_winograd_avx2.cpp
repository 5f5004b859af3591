// AVX2 input and output transforms of the Winograd F(2x2, 3x3) convolution (conv_winograd.h),
// 8 tiles per vector. Only <immintrin.h> is included (see pool_avx2.cpp).
#include <immintrin.h>

#include "conv_winograd.h"

namespace nn::cpu {

namespace {

// Even and odd floats of 16 consecutive ones (lo, hi), in order.
inline __m256 evens(__m256 lo, __m256 hi) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))),
                                                _MM_SHUFFLE(3, 1, 2, 0)));
}
inline __m256 odds(__m256 lo, __m256 hi) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))),
                                                _MM_SHUFFLE(3, 1, 2, 0)));
}

}  // namespace

void winograd_input_plane_avx2(const float* plane, int64_t wp, int64_t th, int64_t tw, float* v, int64_t ld) {
  for (int64_t ty = 0; ty < th; ++ty) {
    const float* p = plane + 2 * ty * wp;
    for (int64_t tx0 = 0; tx0 < tw; tx0 += 8) {
      // r = B^T d on the 4 patch rows, at columns 2tx (lo/hi from +0) and 2tx + 2 (from +2);
      // then v = r B from the even/odd columns: r[2tx], r[2tx+1], r[2tx+2], r[2tx+3].
      __m256 e[4], o[4], e2[4], o2[4];
      for (int shift = 0; shift < 2; ++shift) {
        const float* q = p + 2 * tx0 + 2 * shift;
        __m256 lo[4], hi[4];
        for (int i = 0; i < 4; ++i) {
          lo[i] = _mm256_loadu_ps(q + i * wp);
          hi[i] = _mm256_loadu_ps(q + i * wp + 8);
        }
        const __m256 rlo[4] = {_mm256_sub_ps(lo[0], lo[2]), _mm256_add_ps(lo[1], lo[2]), _mm256_sub_ps(lo[2], lo[1]),
                               _mm256_sub_ps(lo[1], lo[3])};
        const __m256 rhi[4] = {_mm256_sub_ps(hi[0], hi[2]), _mm256_add_ps(hi[1], hi[2]), _mm256_sub_ps(hi[2], hi[1]),
                               _mm256_sub_ps(hi[1], hi[3])};
        for (int i = 0; i < 4; ++i) {
          (shift ? e2 : e)[i] = evens(rlo[i], rhi[i]);
          (shift ? o2 : o)[i] = odds(rlo[i], rhi[i]);
        }
      }
      float* out = v + ty * tw + tx0;
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(out + (i * 4 + 0) * ld, _mm256_sub_ps(e[i], e2[i]));
        _mm256_storeu_ps(out + (i * 4 + 1) * ld, _mm256_add_ps(o[i], e2[i]));
        _mm256_storeu_ps(out + (i * 4 + 2) * ld, _mm256_sub_ps(e2[i], o[i]));
        _mm256_storeu_ps(out + (i * 4 + 3) * ld, _mm256_sub_ps(o[i], o2[i]));
      }
    }
  }
}

void winograd_pack_panel_avx2(const float* v, int64_t ld, int64_t channels, int64_t t0, float* vp) {
  for (int64_t xi = 0; xi < 16; ++xi)
    for (int64_t c = 0; c < channels; ++c) {
      const float* src = v + (c * 16 + xi) * ld + t0;
      float* dst = vp + (xi * channels + c) * 16;
      _mm256_storeu_ps(dst, _mm256_loadu_ps(src));
      _mm256_storeu_ps(dst + 8, _mm256_loadu_ps(src + 8));
    }
}

void winograd_output_panel_avx2(const float* mp, int64_t kchan, const float* bias, float* out, int64_t ldo) {
  const int64_t xs = kchan * 16;
  for (int64_t k = 0; k < kchan; ++k) {
    const __m256 b = _mm256_set1_ps(bias ? bias[k] : 0.f);
    float* o = out + k * 4 * ldo;
    for (int half = 0; half < 2; ++half) {
      const float* m = mp + k * 16 + 8 * half;
      // s = rows 0+1+2, t = rows 1-2-3 of m (A^T = [1 1 1 0; 0 1 -1 -1]), then the same on columns.
      __m256 s[4], t[4];
      for (int j = 0; j < 4; ++j) {
        const __m256 m0 = _mm256_loadu_ps(m + (0 * 4 + j) * xs), m1 = _mm256_loadu_ps(m + (1 * 4 + j) * xs);
        const __m256 m2 = _mm256_loadu_ps(m + (2 * 4 + j) * xs), m3 = _mm256_loadu_ps(m + (3 * 4 + j) * xs);
        s[j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        t[j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
      }
      _mm256_storeu_ps(o + 0 * ldo + 8 * half, _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s[0], s[1]), s[2]), b));
      _mm256_storeu_ps(o + 1 * ldo + 8 * half, _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s[1], s[2]), s[3]), b));
      _mm256_storeu_ps(o + 2 * ldo + 8 * half, _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(t[0], t[1]), t[2]), b));
      _mm256_storeu_ps(o + 3 * ldo + 8 * half, _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(t[1], t[2]), t[3]), b));
    }
  }
}

void winograd_store_plane_avx2(const float* tiles, int64_t ldo, int64_t th, int64_t tw, float* y, int64_t oh,
                               int64_t ow) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t ty = 0; ty < th; ++ty)
    for (int r = 0; r < 2 && 2 * ty + r < oh; ++r) {
      // Output row 2ty + r interleaves the tiles' (r, 0) and (r, 1) values.
      const float* left = tiles + (2 * r) * ldo + ty * tw;
      const float* right = left + ldo;
      float* row = y + (2 * ty + r) * ow;
      for (int64_t tx = 0; tx < tw; tx += 8) {
        const __m256 a = _mm256_loadu_ps(left + tx), b = _mm256_loadu_ps(right + tx);
        const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
        const __m256 first = _mm256_permute2f128_ps(lo, hi, 0x20), second = _mm256_permute2f128_ps(lo, hi, 0x31);
        const int64_t col = 2 * tx, rest = ow - col;
        if (rest >= 16) {
          _mm256_storeu_ps(row + col, first);
          _mm256_storeu_ps(row + col + 8, second);
        } else {
          const __m256i n = _mm256_set1_epi32(static_cast<int>(rest));
          _mm256_maskstore_ps(row + col, _mm256_cmpgt_epi32(n, iota), first);
          _mm256_maskstore_ps(row + col + 8, _mm256_cmpgt_epi32(n, _mm256_add_epi32(iota, _mm256_set1_epi32(8))),
                              second);
        }
      }
    }
}

}  // namespace nn::cpu
