// tanh and sigmoid, and their gradients, on 16 lanes (activation_vector.h over simd::Avx512). Only <immintrin.h> and
// internal-linkage headers are included, so no inline library function carries AVX-512 code out of
// here.
#pragma GCC optimize("fp-contract=off")
#include "activation_vector.h"

void nn::cpu::activation_avx512(ActFn f, const float* x, const float* bias, float* y, int64_t n) {
  activation_vector<simd::Avx512>(f, x, bias, y, n);
}

void nn::cpu::activation_backward_avx512(ActFn f, const float* y, const float* dy, float* dz, float* colsum,
                                         int64_t n) {
  activation_backward_vector<simd::Avx512>(f, y, dy, dz, colsum, n);
}
