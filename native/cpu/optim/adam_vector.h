// The Adam / AdamW element update of kernels/optim.h (adam_update) written over vector traits V,
// for adam_avx2.cpp and adam_avx512.cpp: the same operations in the same order, V::kLanes
// elements at a time and the tail under a mask. Both files turn floating-point contraction off,
// so no product is fused into an FMA and every element gets the bits of the portable loop (and
// of torch's single-tensor Adam). Include inside an anonymous namespace after defining V, so
// each ISA's copy stays private to its file.
//
// V provides: Reg, Mask, kLanes, set(float), tail_mask(n), load(ptr) / store(ptr, r) for full
// vectors, load(ptr, mask) / store(ptr, r, mask) for the tail, add, sub, mul, div, sqrt.

template <class V, bool kDecoupled, bool kDecay>
void adam_vector_range(const AdamScalars& k, float* p, const float* g, float* m, float* v, int64_t n) {
  using R = typename V::Reg;
  const R beta1 = V::set(k.beta1), one_minus_beta1 = V::set(1.f - k.beta1);
  const R beta2 = V::set(k.beta2), one_minus_beta2 = V::set(1.f - k.beta2);
  const R eps = V::set(k.eps), wd = V::set(k.weight_decay), decay = V::set(k.decay);
  const R bc2_sqrt = V::set(k.bc2_sqrt), neg_step = V::set(-k.step_size);
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
  for (; i + V::kLanes <= n; i += V::kLanes) {
    R pr = V::load(p + i), mr = V::load(m + i), vr = V::load(v + i);
    update(pr, V::load(g + i), mr, vr);
    V::store(p + i, pr);
    V::store(m + i, mr);
    V::store(v + i, vr);
  }
  if (i == n) return;
  const typename V::Mask t = V::tail_mask(n - i);
  R pr = V::load(p + i, t), mr = V::load(m + i, t), vr = V::load(v + i, t);
  update(pr, V::load(g + i, t), mr, vr);
  V::store(p + i, pr, t);
  V::store(m + i, mr, t);
  V::store(v + i, vr, t);
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
