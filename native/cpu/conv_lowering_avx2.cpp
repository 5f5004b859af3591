// AVX2 conv2d lowering into packed GEMM panels (stride 1, no padding). Half a panel row (8
// columns) covers at most a few output rows; within one output row the 8 values are
// consecutive in the input, so the half row is a blend of loads, one per output row it
// touches. Near the end of the image masked loads are used instead, whose masked-off lanes are
// never read, so no load strays outside x. Only <immintrin.h> is included (see pool_avx2.cpp).
#include <immintrin.h>

#include "simd.h"

namespace nn::cpu {
namespace {

constexpr int kMaxSeg = 8;  // 8 lanes span at most 8 output rows

// Narrow outputs (fewer than 3 columns a row) need more segments: the general loop.
inline void fill_rows(const float* x, int64_t c, int64_t r, int64_t s, int64_t w, int64_t hw, const float* end, int ns,
                      const int64_t* delta, const __m256i* mask, float* o) {
  int64_t p = 0;
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < s; ++j, ++p) {
        const float* base = x + ci * hw + i * w + j;
        for (int k = 0; k < 2; ++k) {
          __m256 v = _mm256_setzero_ps();
          for (int g = k * ns; g < k * ns + ns; ++g) {
            const float* src = base + delta[g];
            if (src + 8 <= end)
              v = _mm256_blendv_ps(v, _mm256_loadu_ps(src), _mm256_castsi256_ps(mask[g]));
            else
              v = _mm256_or_ps(v, _mm256_maskload_ps(src, mask[g]));
          }
          _mm256_store_ps(o + p * 16 + k * 8, v);
        }
      }
}

// The usual case, outputs at least 3 wide: two half rows of NS segments each (padded to NS with
// empty masks, so the loops have fixed trip counts and unroll), masks and offsets in registers.
// Rows whose loads all stay inside the image skip the bounds test.
template <int NS>
inline void fill_panel(const float* x, int64_t c, int64_t r, int64_t s, int64_t w, int64_t hw, const float* end,
                       const int64_t* delta, const __m256i* mask, float* o) {
  __m256 m[2 * NS];
  int64_t d[2 * NS];
  int64_t reach = 0;
  for (int g = 0; g < 2 * NS; ++g) {
    m[g] = _mm256_castsi256_ps(mask[g]);
    d[g] = delta[g];
    reach = d[g] + 8 > reach ? d[g] + 8 : reach;
  }
  int64_t p = 0;
  for (int64_t ci = 0; ci < c; ++ci)
    for (int64_t i = 0; i < r; ++i) {
      const float* row = x + ci * hw + i * w;
      for (int64_t j = 0; j < s; ++j, ++p) {
        const float* base = row + j;
        float* out = o + p * 16;
        if (base + reach <= end) {
          __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
          for (int g = 0; g < NS; ++g) {
            lo = _mm256_blendv_ps(lo, _mm256_loadu_ps(base + d[g]), m[g]);
            hi = _mm256_blendv_ps(hi, _mm256_loadu_ps(base + d[NS + g]), m[NS + g]);
          }
          _mm256_store_ps(out, lo);
          _mm256_store_ps(out + 8, hi);
        } else {
          for (int k = 0; k < 2; ++k) {
            __m256 v = _mm256_setzero_ps();
            for (int g = k * NS; g < k * NS + NS; ++g) {
              const float* src = base + d[g];
              if (src + 8 <= end)
                v = _mm256_blendv_ps(v, _mm256_loadu_ps(src), m[g]);
              else
                v = _mm256_or_ps(v, _mm256_maskload_ps(src, mask[g]));
            }
            _mm256_store_ps(out + k * 8, v);
          }
        }
      }
    }
}

}  // namespace

void conv_panels_avx2(const float* x, int64_t c, int64_t h, int64_t w, int64_t r, int64_t s, int64_t ow, int64_t q0,
                      int64_t q1, bool ones_row, float* out) {
  const int64_t crs = c * r * s, hw = h * w;
  const float* end = x + c * hw;
  // Segments of each half row: the lanes of one output row, read from one base offset.
  int ns = 1;
  for (int k = 0; k < 2; ++k) {
    const int64_t a = q0 + 8 * k;
    if (a < q1) {
      const int64_t last = a + 7 < q1 ? a + 7 : q1 - 1;
      const int n = static_cast<int>(last / ow - a / ow + 1);
      ns = n > ns ? n : ns;
    }
  }
  int64_t delta[2 * kMaxSeg];
  __m256i mask[2 * kMaxSeg];
  for (int k = 0; k < 2; ++k) {
    const int64_t a = q0 + 8 * k;
    int g = k * ns;
    for (int64_t l = 0; l < 8 && a + l < q1;) {
      const int64_t row = (a + l) / ow;
      const int64_t stop = (row + 1) * ow - a;  // first lane of the next output row
      alignas(32) int32_t lanes[8];
      for (int i = 0; i < 8; ++i) lanes[i] = (i >= l && i < stop && a + i < q1) ? -1 : 0;
      mask[g] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
      delta[g] = a + row * (w - ow);
      ++g;
      l = stop;
    }
    for (; g < (k + 1) * ns; ++g) {  // padding: reads nothing it keeps, from a valid address
      mask[g] = _mm256_setzero_si256();
      delta[g] = 0;
    }
  }
  switch (ns) {
    case 1: fill_panel<1>(x, c, r, s, w, hw, end, delta, mask, out); break;
    case 2: fill_panel<2>(x, c, r, s, w, hw, end, delta, mask, out); break;
    case 3: fill_panel<3>(x, c, r, s, w, hw, end, delta, mask, out); break;
    default: fill_rows(x, c, r, s, w, hw, end, ns, delta, mask, out); break;
  }
  if (ones_row)
    for (int k = 0; k < 2; ++k) {
      __m256 one = _mm256_setzero_ps();
      for (int g = k * ns; g < (k + 1) * ns; ++g)
        one = _mm256_or_ps(one, _mm256_and_ps(_mm256_set1_ps(1.f), _mm256_castsi256_ps(mask[g])));
      _mm256_store_ps(out + crs * 16 + k * 8, one);
    }
}

}  // namespace nn::cpu
