// Plain SGD (no momentum) of kernels/optim.h's sgd_update written over vector traits V, for
// sgd_avx2.cpp and sgd_avx512.cpp: d = g (+ weight_decay * p), then p - lr * d, the same
// operations in the same order, V::W elements at a time and the tail under a mask. Both files turn
// floating-point contraction off, so no product is fused into an FMA and every element gets the
// bits of the portable loop, which the baseline x86-64 build compiles to 4-lane SSE. Everything
// has internal linkage, so each ISA's copy stays private to its file (as in simd/vec_traits.h).

#pragma once
#include "../simd/simd.h"
#include "../simd/vec_traits.h"

namespace nn::cpu {
namespace {

template <class V, bool kDecay>
void sgd_vector_range(float lr, float weight_decay, float* p, const float* g, int64_t n) {
  using R = typename V::Vec;
  const R lr_v = V::set1(lr), wd = V::set1(weight_decay);
  auto update = [&](R pr, R gr) {
    if (kDecay) gr = V::add(gr, V::mul(wd, pr));
    return V::sub(pr, V::mul(lr_v, gr));
  };
  int64_t i = 0;
  for (; i + V::W <= n; i += V::W) V::storeu(p + i, update(V::loadu(p + i), V::loadu(g + i)));
  if (i == n) return;
  const typename V::Mask t = V::tail_mask(n - i);
  V::storeu(p + i, update(V::loadu(p + i, t), V::loadu(g + i, t)), t);
}

template <class V>
void sgd_vector(float lr, float weight_decay, float* p, const float* g, int64_t n) {
  if (weight_decay != 0.f)
    sgd_vector_range<V, true>(lr, weight_decay, p, g, n);
  else
    sgd_vector_range<V, false>(lr, weight_decay, p, g, n);
}

}  // namespace
}  // namespace nn::cpu
