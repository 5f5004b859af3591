// The loops of activation_forward and activation_backward written over vector traits V (simd/vec_traits.h: simd::Avx2
// or simd::Avx512) for activation_avx2.cpp and activation_avx512.cpp: full vectors, then the tail under V::tail_mask.
// The math is kernels/activation_math.h's templates instantiated with V as the lanes type; both files turn contraction
// off, so the operations round as the scalar ones do. Everything has internal linkage, so each ISA's copy stays private
// to its file.
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

// unary_derivative's sigmoid y * (1 - y) and tanh 1 - y * y, times dy, in that order.
template <class V, ActFn F>
inline typename V::Vec grad_lanes(typename V::Vec y, typename V::Vec dy) {
  const typename V::Vec one = V::set1(1.f);
  if constexpr (F == ActFn::Tanh)
    return V::mul(dy, V::sub(one, V::mul(y, y)));
  else
    return V::mul(dy, V::mul(y, V::sub(one, y)));
}

template <class V, ActFn F, bool kSum>
void activation_backward_range(const float* y, const float* dy, float* dz, float* colsum, int64_t n) {
  using R = typename V::Vec;
  int64_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    const R g = grad_lanes<V, F>(V::loadu(y + i), V::loadu(dy + i));
    V::storeu(dz + i, g);
    if constexpr (kSum) V::storeu(colsum + i, V::add(V::loadu(colsum + i), g));
  }
  if (i == n) return;
  const typename V::Mask t = V::tail_mask(n - i);
  const R g = grad_lanes<V, F>(V::loadu(y + i, t), V::loadu(dy + i, t));
  V::storeu(dz + i, g, t);
  if constexpr (kSum) V::storeu(colsum + i, V::add(V::loadu(colsum + i, t), g), t);
}

template <class V>
void activation_backward_vector(ActFn f, const float* y, const float* dy, float* dz, float* colsum, int64_t n) {
  if (f == ActFn::Tanh)
    colsum ? activation_backward_range<V, ActFn::Tanh, true>(y, dy, dz, colsum, n)
           : activation_backward_range<V, ActFn::Tanh, false>(y, dy, dz, colsum, n);
  else
    colsum ? activation_backward_range<V, ActFn::Sigmoid, true>(y, dy, dz, colsum, n)
           : activation_backward_range<V, ActFn::Sigmoid, false>(y, dy, dz, colsum, n);
}

}  // namespace
}  // namespace nn::cpu
