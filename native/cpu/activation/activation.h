// tanh and sigmoid over arrays (kernels/activation_math.h) on the widest vectors the CPU has, for
// the unary ops and the fused linear layer's bias-and-activation pass: one libm tanhf or expf call
// per element cost an autoencoder's training step more than its GEMMs did. Every path (AVX-512,
// AVX2, the portable loop) gives the bits of the scalar tanh_f / sigmoid_f.
#pragma once
#include <cstdint>

namespace nn::cpu {

enum class ActFn : int32_t { Tanh, Sigmoid };

// y[i] = f(x[i] + bias[i]) for i < n, or f(x[i]) when bias is null; y may be x.
void activation_forward(ActFn f, const float* x, const float* bias, float* y, int64_t n);

// The vector loops behind it (activation_avx2.cpp, activation_avx512.cpp), for use_avx2() and
// use_avx512().
void activation_avx2(ActFn f, const float* x, const float* bias, float* y, int64_t n);
void activation_avx512(ActFn f, const float* x, const float* bias, float* y, int64_t n);

}  // namespace nn::cpu
