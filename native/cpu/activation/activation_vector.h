// The loop of activation_forward written over vector traits V (simd/vec_traits.h: simd::Avx2 or
// simd::Avx512) for activation_avx2.cpp and activation_avx512.cpp: full vectors, then the tail
// under V::tail_mask. The math is kernels/activation_math.h's templates instantiated with V as the
// lanes type; both files turn contraction off, so the operations round as the scalar ones do.
// Everything has internal linkage, so each ISA's copy stays private to its file.
#pragma once
#include "../../kernels/activation_math.h"
#include "../simd/vec_traits.h"
#include "activation.h"

namespace nn::cpu {
namespace {

template <class V, ActFn F, bool kBias>
void activation_range(const float* x, const float* bias, float* y, int64_t n) {
  using R = typename V::Vec;
  auto f = [](R z) {
    if constexpr (F == ActFn::Tanh)
      return tanh_lanes<V>(z);
    else
      return sigmoid_lanes<V>(z);
  };
  int64_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    R z = V::loadu(x + i);
    if constexpr (kBias) z = V::add(z, V::loadu(bias + i));
    V::storeu(y + i, f(z));
  }
  if (i == n) return;
  const typename V::Mask t = V::tail_mask(n - i);
  R z = V::loadu(x + i, t);
  if constexpr (kBias) z = V::add(z, V::loadu(bias + i, t));
  V::storeu(y + i, f(z), t);
}

template <class V>
void activation_vector(ActFn f, const float* x, const float* bias, float* y, int64_t n) {
  if (f == ActFn::Tanh)
    bias ? activation_range<V, ActFn::Tanh, true>(x, bias, y, n)
         : activation_range<V, ActFn::Tanh, false>(x, bias, y, n);
  else
    bias ? activation_range<V, ActFn::Sigmoid, true>(x, bias, y, n)
         : activation_range<V, ActFn::Sigmoid, false>(x, bias, y, n);
}

}  // namespace
}  // namespace nn::cpu
