// tanh and sigmoid, and their gradients, on 8 lanes (activation_vector.h over simd::Avx2). Only <immintrin.h> and
// internal-linkage headers are included, so no inline library function carries AVX2 code out of
// here.
#pragma GCC optimize("fp-contract=off")
#include "activation_vector.h"

void nn::cpu::activation_avx2(ActFn f, const float* x, const float* bias, float* y, int64_t n) {
  activation_vector<simd::Avx2>(f, x, bias, y, n);
}

void nn::cpu::activation_backward_avx2(ActFn f, const float* y, const float* dy, float* dz, float* colsum, int64_t n) {
  activation_backward_vector<simd::Avx2>(f, y, dy, dz, colsum, n);
}
