// Adam / AdamW on 8 lanes (see adam_vector.h), for CPUs with AVX2 but not AVX-512. Only
// <immintrin.h> is included, so no inline library function carries AVX2 code out of here.
#pragma GCC optimize("fp-contract=off")
#include <immintrin.h>

#include "../simd/simd.h"

namespace nn::cpu {
namespace {

struct Avx2 {
  using Reg = __m256;
  using Mask = __m256i;
  static constexpr int64_t kLanes = 8;
  static Reg set(float x) { return _mm256_set1_ps(x); }
  // Lanes 0..n-1 (n < 8) have their sign bit set.
  static Mask tail_mask(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static Reg load(const float* p) { return _mm256_loadu_ps(p); }
  static Reg load(const float* p, Mask t) { return _mm256_maskload_ps(p, t); }
  static void store(float* p, Reg r) { _mm256_storeu_ps(p, r); }
  static void store(float* p, Reg r, Mask t) { _mm256_maskstore_ps(p, t, r); }
  static Reg add(Reg a, Reg b) { return _mm256_add_ps(a, b); }
  static Reg sub(Reg a, Reg b) { return _mm256_sub_ps(a, b); }
  static Reg mul(Reg a, Reg b) { return _mm256_mul_ps(a, b); }
  static Reg div(Reg a, Reg b) { return _mm256_div_ps(a, b); }
  static Reg sqrt(Reg a) { return _mm256_sqrt_ps(a); }
};

#include "adam_vector.h"

}  // namespace

void adam_avx2(const AdamScalars& k, float* p, const float* g, float* m, float* v, int64_t n) {
  adam_vector<Avx2>(k, p, g, m, v, n);
}

}  // namespace nn::cpu
