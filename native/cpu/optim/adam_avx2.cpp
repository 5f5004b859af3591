// Adam / AdamW on 8 lanes (adam_vector.h over simd::Avx2), for CPUs with AVX2 but not AVX-512.
// Only <immintrin.h> and internal-linkage headers are included, so no inline library function
// carries AVX2 code out of here.
#pragma GCC optimize("fp-contract=off")
#include "adam_vector.h"

void nn::cpu::adam_avx2(const AdamScalars& k, float* p, const float* g, float* m, float* v, int64_t n) {
  adam_vector<simd::Avx2>(k, p, g, m, v, n);
}
