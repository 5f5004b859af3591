// Plain SGD on 8 lanes (sgd_vector.h over simd::Avx2), for CPUs with AVX2 but not AVX-512.
// Only <immintrin.h> and internal-linkage headers are included, so no inline library function
// carries AVX2 code out of here.
#pragma GCC optimize("fp-contract=off")
#include "sgd_vector.h"

void nn::cpu::sgd_avx2(float lr, float weight_decay, float* p, const float* g, int64_t n) {
  sgd_vector<simd::Avx2>(lr, weight_decay, p, g, n);
}
