// Fused optimizer steps. All parameters of a call are viewed as one flat range of elements so
// the thread pool splits the work evenly however the sizes are distributed over the list.
#include <algorithm>
#include <vector>

#include "../../core/thread_pool.h"
#include "../../kernels/optim.h"
#include "../cpu_backend.h"
#include "../simd/simd.h"

namespace nn {
namespace {

constexpr int64_t kGrain = 1 << 14;

// Runs fn(slot, begin, end) over element ranges of the slots, with the global element range
// split across threads in shares of at least `grain` elements.
template <typename Fn>
void for_each_range(const ParamSlot* slots, int64_t nslots, int64_t grain, Fn fn) {
  std::vector<int64_t> start(static_cast<size_t>(nslots) + 1, 0);
  for (int64_t s = 0; s < nslots; ++s) start[s + 1] = start[s] + slots[s].n;
  int64_t total = start[nslots];
  if (total == 0) return;
  parallel_for(total, grain, [&](int64_t lo, int64_t hi) {
    int64_t s = std::upper_bound(start.begin(), start.end(), lo) - start.begin() - 1;
    for (; s < nslots && start[s] < hi; ++s) {
      int64_t b = std::max(lo, start[s]) - start[s];
      int64_t e = std::min(hi, start[s + 1]) - start[s];
      if (e > b) fn(slots[s], b, e);
    }
  });
}

// The flags are template parameters so each combination compiles to a branch-free loop the
// compiler can vectorise.
template <bool kMomentum, bool kFirst, bool kNesterov, bool kDecay>
void sgd_range(const SgdArgs& a, const ParamSlot& s, int64_t b, int64_t e) {
  float* __restrict p = s.param;
  const float* __restrict g = s.grad;
  float* __restrict buf = s.buf1;
  float lr = a.lr, mom = kMomentum ? a.momentum : 0.f, damp = a.dampening, wd = kDecay ? a.weight_decay : 0.f;
  for (int64_t i = b; i < e; ++i)
    sgd_update(p[i], g[i], kMomentum ? buf + i : nullptr, lr, mom, damp, wd, kNesterov, kFirst);
}

template <bool kDecoupled, bool kDecay>
void adam_range(const AdamArgs& a, const AdamCoeffs& c, const ParamSlot& s, int64_t b, int64_t e) {
  float* __restrict p = s.param;
  const float* __restrict g = s.grad;
  float* __restrict m = s.buf1;
  float* __restrict v = s.buf2;
  // Scalars in locals: read through `a` inside the loop they could alias the outputs, which
  // blocks vectorisation.
  const float b1 = a.beta1, b2 = a.beta2, eps = a.eps, wd = kDecay ? a.weight_decay : 0.f;
  const AdamCoeffs cc = c;
  for (int64_t i = b; i < e; ++i) adam_update(p[i], g[i], m[i], v[i], b1, b2, eps, wd, kDecoupled, cc);
}

using SgdFn = void (*)(const SgdArgs&, const ParamSlot&, int64_t, int64_t);

SgdFn pick_sgd(const SgdArgs& a) {
  bool decay = a.weight_decay != 0.f;
  if (a.momentum == 0.f) return decay ? sgd_range<false, false, false, true> : sgd_range<false, false, false, false>;
  static const SgdFn table[8] = {
      sgd_range<true, false, false, false>, sgd_range<true, false, false, true>, sgd_range<true, false, true, false>,
      sgd_range<true, false, true, true>,   sgd_range<true, true, false, false>, sgd_range<true, true, false, true>,
      sgd_range<true, true, true, false>,   sgd_range<true, true, true, true>,
  };
  return table[(a.first_step ? 4 : 0) | (a.nesterov ? 2 : 0) | (decay ? 1 : 0)];
}

}  // namespace

void CpuBackend::sgd_step(const SgdArgs& a, const ParamSlot* slots, int64_t nslots) {
#if NNLAB_X86_KERNELS
  auto vector_kernel = a.momentum != 0.f   ? nullptr
                       : cpu::use_avx512() ? cpu::sgd_avx512
                       : cpu::use_avx2()   ? cpu::sgd_avx2
                                           : nullptr;
  if (vector_kernel) {
    // Plain SGD reads a parameter and its gradient and writes the parameter back: a memory-bound
    // pass, split by the bytes it moves like the other such passes. A small network's step (the
    // mlp study's 80k parameters, under 1 MB) then runs on the calling thread instead of joining
    // the pool once more for a few microseconds of work.
    for_each_range(slots, nslots, grain_for_bytes(3 * sizeof(float)), [&](const ParamSlot& s, int64_t b, int64_t e) {
      vector_kernel(a.lr, a.weight_decay, s.param + b, s.grad + b, e - b);
    });
    return;
  }
#endif
  SgdFn fn = pick_sgd(a);
  for_each_range(slots, nslots, kGrain, [&](const ParamSlot& s, int64_t b, int64_t e) { fn(a, s, b, e); });
}

void CpuBackend::adam_step(const AdamArgs& a, const ParamSlot* slots, int64_t nslots) {
  AdamCoeffs c = adam_coeffs(a.lr, a.beta1, a.beta2, a.weight_decay, a.decoupled, a.step);
  // The portable loop is 4-lane SSE with two divisions and a square root per element; the
  // vector kernels give the same bits on 8 or 16 lanes.
#if NNLAB_X86_KERNELS
  auto vector_kernel = cpu::use_avx512() ? cpu::adam_avx512 : cpu::use_avx2() ? cpu::adam_avx2 : nullptr;
  if (vector_kernel) {
    const cpu::AdamScalars k{a.beta1, a.beta2, a.eps, a.weight_decay, c.step_size, c.bc2_sqrt, c.decay, a.decoupled};
    for_each_range(slots, nslots, kGrain, [&](const ParamSlot& s, int64_t b, int64_t e) {
      vector_kernel(k, s.param + b, s.grad + b, s.buf1 + b, s.buf2 + b, e - b);
    });
    return;
  }
#endif
  bool decay = a.weight_decay != 0.f;
  auto fn = a.decoupled ? adam_range<true, false>  // AdamW's decay lives in c.decay
                        : (decay ? adam_range<false, true> : adam_range<false, false>);
  for_each_range(slots, nslots, kGrain, [&](const ParamSlot& s, int64_t b, int64_t e) { fn(a, c, s, b, e); });
}

void CpuBackend::ema_update(float keep, float take, const ParamSlot* slots, int64_t nslots) {
  for_each_range(slots, nslots, kGrain, [&](const ParamSlot& s, int64_t b, int64_t e) {
    float* __restrict avg = s.param;
    const float* __restrict p = s.grad;
    for (int64_t i = b; i < e; ++i) nn::ema_update(avg[i], p[i], keep, take);
  });
}

}  // namespace nn
