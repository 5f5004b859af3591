#include "activation.h"

#include "../../kernels/activation_math.h"
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

}  // namespace

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
