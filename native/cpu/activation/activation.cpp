#include "activation.h"

#include "../../kernels/activation_math.h"
#include "../../kernels/ops.h"
#include "../simd/simd.h"

namespace nn::cpu {
namespace {

template <ActFn F>
void activation_portable(const float* x, const float* bias, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float z = bias ? x[i] + bias[i] : x[i];
    y[i] = F == ActFn::Tanh ? tanh_f(z) : sigmoid_f(z);
  }
}

template <ActFn F>
void activation_backward_portable(const float* y, const float* dy, float* dz, float* colsum, int64_t n) {
  const UnaryOp op = F == ActFn::Tanh ? UnaryOp::Tanh : UnaryOp::Sigmoid;
  for (int64_t i = 0; i < n; ++i) {
    const float g = unary_grad(op, y[i], y[i], dy[i], 0.f, 0.f);
    dz[i] = g;
    if (colsum) colsum[i] += g;
  }
}

}  // namespace

void activation_backward(ActFn f, const float* y, const float* dy, float* dz, float* colsum, int64_t n) {
#if NNLAB_X86_KERNELS
  if (use_avx512()) return activation_backward_avx512(f, y, dy, dz, colsum, n);
  if (use_avx2()) return activation_backward_avx2(f, y, dy, dz, colsum, n);
#endif
  if (f == ActFn::Tanh)
    activation_backward_portable<ActFn::Tanh>(y, dy, dz, colsum, n);
  else
    activation_backward_portable<ActFn::Sigmoid>(y, dy, dz, colsum, n);
}

void activation_forward(ActFn f, const float* x, const float* bias, float* y, int64_t n) {
#if NNLAB_X86_KERNELS
  if (use_avx512()) return activation_avx512(f, x, bias, y, n);
  if (use_avx2()) return activation_avx2(f, x, bias, y, n);
#endif
  if (f == ActFn::Tanh)
    activation_portable<ActFn::Tanh>(x, bias, y, n);
  else
    activation_portable<ActFn::Sigmoid>(x, bias, y, n);
}

}  // namespace nn::cpu
