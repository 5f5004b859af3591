// Adam / AdamW on 16 lanes (adam_vector.h over simd::Avx512): the portable loop compiles to 4-lane
// SSE with two divisions and a square root per element. Only <immintrin.h> and internal-linkage
// headers are included, so no inline library function carries AVX-512 code out of here.
#pragma GCC optimize("fp-contract=off")
#include "adam_vector.h"

void nn::cpu::adam_avx512(const AdamScalars& k, float* p, const float* g, float* m, float* v, int64_t n) {
  adam_vector<simd::Avx512>(k, p, g, m, v, n);
}
