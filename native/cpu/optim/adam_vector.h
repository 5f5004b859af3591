// The Adam / AdamW element update of kernels/optim.h (adam_update) written over vector traits V,
// for adam_avx2.cpp and adam_avx512.cpp: the same operations in the same order, V::W
// elements at a time and the tail under a mask. Both files turn floating-point contraction off,
// so no product is fused into an FMA and every element gets the bits of the portable loop (and
// of torch's single-tensor Adam). Everything has internal linkage, so each ISA's copy stays
// private to its file (as in simd/vec_traits.h).
//
// V is simd::Avx2 or simd::Avx512 (simd/vec_traits.h): full vectors, then the tail under
// V::tail_mask.

#pragma once
#include "../simd/simd.h"
#include "../simd/vec_traits.h"

namespace nn::cpu {
namespace {

template <class V, bool kDecoupled, bool kDecay>
void adam_vector_range(const AdamScalars& k, float* p, const float* g, float* m, float* v, int64_t n) {
  using R = typename V::Vec;
  const R beta1 = V::set1(k.beta1), one_minus_beta1 = V::set1(1.f - k.beta1);
  const R beta2 = V::set1(k.beta2), one_minus_beta2 = V::set1(1.f - k.beta2);
  const R eps = V::set1(k.eps), wd = V::set1(k.weight_decay), decay = V::set1(k.decay);
  const R bc2_sqrt = V::set1(k.bc2_sqrt), neg_step = V::set1(-k.step_size);
  auto update = [&](R& pr, R gr, R& mr, R& vr) {
    if (kDecoupled) {
      pr = V::mul(pr, decay);
      mr = V::add(mr, V::mul(one_minus_beta1, V::sub(gr, mr)));  // torch.lerp, weight < 0.5
    } else {
      if (kDecay) gr = V::add(gr, V::mul(wd, pr));
      mr = V::add(V::mul(mr, beta1), V::mul(one_minus_beta1, gr));
    }
    vr = V::add(V::mul(vr, beta2), V::mul(V::mul(one_minus_beta2, gr), gr));
    const R denom = V::add(V::div(V::sqrt(vr), bc2_sqrt), eps);
    pr = V::add(pr, V::div(V::mul(neg_step, mr), denom));
  };
  int64_t i = 0;
  for (; i + V::W <= n; i += V::W) {
    R pr = V::loadu(p + i), mr = V::loadu(m + i), vr = V::loadu(v + i);
    update(pr, V::loadu(g + i), mr, vr);
    V::storeu(p + i, pr);
    V::storeu(m + i, mr);
    V::storeu(v + i, vr);
  }
  if (i == n) return;
  const typename V::Mask t = V::tail_mask(n - i);
  R pr = V::loadu(p + i, t), mr = V::loadu(m + i, t), vr = V::loadu(v + i, t);
  update(pr, V::loadu(g + i, t), mr, vr);
  V::storeu(p + i, pr, t);
  V::storeu(m + i, mr, t);
  V::storeu(v + i, vr, t);
}

template <class V>
void adam_vector(const AdamScalars& k, float* p, const float* g, float* m, float* v, int64_t n) {
  if (k.decoupled)
    adam_vector_range<V, true, false>(k, p, g, m, v, n);  // AdamW's decay is k.decay
  else if (k.weight_decay != 0.f)
    adam_vector_range<V, false, true>(k, p, g, m, v, n);
  else
    adam_vector_range<V, false, false>(k, p, g, m, v, n);
}

}  // namespace
}  // namespace nn::cpu
