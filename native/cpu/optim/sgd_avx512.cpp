// Plain SGD on 16 lanes (sgd_vector.h over simd::Avx512): a step over a 784x100 layer is a few
// microseconds of 4-lane SSE otherwise, a visible share of a small network's training step. Only
// <immintrin.h> and internal-linkage headers are included, so no inline library function carries
// AVX-512 code out of here.
#pragma GCC optimize("fp-contract=off")
#include "sgd_vector.h"

void nn::cpu::sgd_avx512(float lr, float weight_decay, float* p, const float* g, int64_t n) {
  sgd_vector<simd::Avx512>(lr, weight_decay, p, g, n);
}
