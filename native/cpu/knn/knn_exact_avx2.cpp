// AVX2 kernels of the exact k-NN search (knn_exact.h). Only <immintrin.h> is included: an
// inline library function instantiated here would carry AVX2 code that the linker may hand to
// portable callers too.
#include <immintrin.h>

#include "knn_exact.h"

namespace nn::cpu {
namespace {

// 12 accumulators: 6 query rows x 2 vectors of 8 train rows, the dot product over k in order.
// They are named locals, not an array: an array of accumulators is spilled to the stack on every
// k by GCC, which halves the kernel's speed.
struct Tile {
  __m256 acc[kKnnTileRows][2];
};

inline void accumulate(const float* q, const float* panel, int64_t p, Tile& t) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float *q0 = q, *q1 = q + p, *q2 = q + 2 * p, *q3 = q + 3 * p, *q4 = q + 4 * p, *q5 = q + 5 * p;
  for (int64_t k = 0; k < p; ++k) {
    const __m256 b0 = _mm256_load_ps(panel + k * kKnnPanel), b1 = _mm256_load_ps(panel + k * kKnnPanel + 8);
    __m256 a = _mm256_broadcast_ss(q0 + k);
    c00 = _mm256_fmadd_ps(a, b0, c00);
    c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(q1 + k);
    c10 = _mm256_fmadd_ps(a, b0, c10);
    c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(q2 + k);
    c20 = _mm256_fmadd_ps(a, b0, c20);
    c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(q3 + k);
    c30 = _mm256_fmadd_ps(a, b0, c30);
    c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(q4 + k);
    c40 = _mm256_fmadd_ps(a, b0, c40);
    c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(q5 + k);
    c50 = _mm256_fmadd_ps(a, b0, c50);
    c51 = _mm256_fmadd_ps(a, b1, c51);
  }
  t.acc[0][0] = c00, t.acc[0][1] = c01, t.acc[1][0] = c10, t.acc[1][1] = c11, t.acc[2][0] = c20, t.acc[2][1] = c21;
  t.acc[3][0] = c30, t.acc[3][1] = c31, t.acc[4][0] = c40, t.acc[4][1] = c41, t.acc[5][0] = c50, t.acc[5][1] = c51;
}

// (nq + nt) - 2 * acc with one rounding for the last step (fma of an exact -2 * acc).
inline __m256 finish(__m256 acc, float nq, __m256 nt) {
  return _mm256_fmadd_ps(_mm256_set1_ps(-2.f), acc, _mm256_add_ps(_mm256_set1_ps(nq), nt));
}

}  // namespace

int32_t sqdist_u8_avx2(const uint8_t* a, const uint8_t* b, int64_t dim) {
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc = zero;
  int64_t j = 0;
  for (; j + 32 <= dim; j += 32) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + j));
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + j));
    // |x - y| in bytes from two saturating differences, widened to 16 bits, squared and summed in
    // pairs into 32-bit lanes: 2 * 255^2 fits, so every step is exact.
    const __m256i d = _mm256_or_si256(_mm256_subs_epu8(x, y), _mm256_subs_epu8(y, x));
    const __m256i lo = _mm256_unpacklo_epi8(d, zero), hi = _mm256_unpackhi_epi8(d, zero);
    acc = _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(lo, lo), _mm256_madd_epi16(hi, hi)));
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  if (j + 16 <= dim) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + j));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + j));
    const __m128i d = _mm_or_si128(_mm_subs_epu8(x, y), _mm_subs_epu8(y, x));
    const __m128i z = _mm_setzero_si128();
    const __m128i lo = _mm_unpacklo_epi8(d, z), hi = _mm_unpackhi_epi8(d, z);
    s = _mm_add_epi32(s, _mm_add_epi32(_mm_madd_epi16(lo, lo), _mm_madd_epi16(hi, hi)));
    j += 16;
  }
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  int32_t total = _mm_cvtsi128_si32(s);
  for (; j < dim; ++j) {
    const int32_t d = static_cast<int32_t>(a[j]) - static_cast<int32_t>(b[j]);
    total += d * d;
  }
  return total;
}

void lb_tile_store_avx2(const float* q, const float* panel, int64_t p, const float* nq, const float* nt, float* out,
                        int64_t ldo, int64_t cols) {
  Tile t;
  accumulate(q, panel, p, t);
  const __m256 nt0 = _mm256_loadu_ps(nt), nt1 = _mm256_loadu_ps(nt + 8);
  for (int r = 0; r < kKnnTileRows; ++r) {
    float* o = out + r * ldo;
    if (cols == kKnnPanel) {
      _mm256_storeu_ps(o, finish(t.acc[r][0], nq[r], nt0));
      _mm256_storeu_ps(o + 8, finish(t.acc[r][1], nq[r], nt1));
    } else {
      alignas(32) float tmp[kKnnPanel];
      _mm256_store_ps(tmp, finish(t.acc[r][0], nq[r], nt0));
      _mm256_store_ps(tmp + 8, finish(t.acc[r][1], nq[r], nt1));
      for (int64_t c = 0; c < cols; ++c) o[c] = tmp[c];
    }
  }
}

bool lb_tile_filter_avx2(const float* q, const float* panel, int64_t p, const float* nq, const float* nt,
                         const float* thr, uint32_t* keep) {
  Tile t;
  accumulate(q, panel, p, t);
  const __m256 nt0 = _mm256_loadu_ps(nt), nt1 = _mm256_loadu_ps(nt + 8);
  uint32_t any = 0;
  for (int r = 0; r < kKnnTileRows; ++r) {
    const __m256 th = _mm256_set1_ps(thr[r]);
    const uint32_t m0 =
        static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(finish(t.acc[r][0], nq[r], nt0), th, _CMP_LE_OQ)));
    const uint32_t m1 =
        static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(finish(t.acc[r][1], nq[r], nt1), th, _CMP_LE_OQ)));
    keep[r] = m0 | (m1 << 8);
    any |= keep[r];
  }
  return any != 0;
}

}  // namespace nn::cpu
