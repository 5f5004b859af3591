// tanh and sigmoid, and their gradients, over arrays (kernels/activation_math.h) on the widest vectors the CPU has, for
// the unary ops and the fused linear layer's bias-and-activation pass: one libm tanhf or expf call
// per element cost an autoencoder's training step more than its GEMMs did. Every path (AVX-512,
// AVX2, the portable loop) gives the bits of the scalar tanh_f / sigmoid_f.
#pragma once
#include <cstdint>

namespace nn::cpu {

enum class ActFn : int32_t { Tanh, Sigmoid };

// y[i] = f(x[i] + bias[i]) for i < n, or f(x[i]) when bias is null; y may be x.
void activation_forward(ActFn f, const float* x, const float* bias, float* y, int64_t n);

// dz[i] = dy[i] * f'(z[i]) from y = f(z) (sigmoid: y * (1 - y), tanh: 1 - y * y), rounded as
// unary_grad; with colsum, also colsum[i] += dz[i]: a row of the fused linear layer's backward
// adds itself to the bias gradient's running column sums while it is in registers. dz may be dy.
void activation_backward(ActFn f, const float* y, const float* dy, float* dz, float* colsum, int64_t n);

// The vector loops behind them (activation_avx2.cpp, activation_avx512.cpp), for use_avx2() and
// use_avx512().
void activation_avx2(ActFn f, const float* x, const float* bias, float* y, int64_t n);
void activation_avx512(ActFn f, const float* x, const float* bias, float* y, int64_t n);
void activation_backward_avx2(ActFn f, const float* y, const float* dy, float* dz, float* colsum, int64_t n);
void activation_backward_avx512(ActFn f, const float* y, const float* dy, float* dz, float* colsum, int64_t n);

}  // namespace nn::cpu
