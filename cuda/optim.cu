// The fused optimizer steps: one launch over every parameter (kernels/optim.cuh).
#include <vector>

#include "cuda_backend.h"
#include "kernels/optim.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

namespace {
// The non-empty tensors of a fused optimizer step as a device table (kernels/index.cuh), with
// the total element count. The table lives in scratch memory for the duration of the launch.
struct OptimTable {
  std::vector<OptimSlot> host;
  int64_t total = 0;
  OptimTable(const ParamSlot* slots, int64_t nslots) {
    for (int64_t s = 0; s < nslots; ++s) {
      const ParamSlot& p = slots[s];
      if (p.n <= 0) continue;
      host.push_back({p.param, p.grad, p.buf1, p.buf2, total});
      total += p.n;
    }
  }
  size_t bytes() const { return host.size() * sizeof(OptimSlot); }
};
}  // namespace

void CudaBackend::sgd_step(const SgdArgs& a, const ParamSlot* slots, int64_t nslots) {
  OptimTable t(slots, nslots);
  if (t.total == 0) return;
  Scratch table(*this, t.bytes());
  copy_from_host(table.as<void>(), t.host.data(), t.bytes());
  NN_LAUNCH(sgd_kernel, blocks_for(t.total), threads_for(t.total), table.as<const OptimSlot>(),
            static_cast<int64_t>(t.host.size()), t.total, a.lr, a.momentum, a.dampening, a.weight_decay, a.nesterov,
            a.first_step);
}

void CudaBackend::adam_step(const AdamArgs& a, const ParamSlot* slots, int64_t nslots) {
  OptimTable t(slots, nslots);
  if (t.total == 0) return;
  // Bias corrections in double on the host, as torch (and the CPU backend) compute them.
  AdamCoeffs c = adam_coeffs(a.lr, a.beta1, a.beta2, a.weight_decay, a.decoupled, a.step);
  float wd = a.decoupled ? 0.f : a.weight_decay;  // AdamW's decay lives in c.decay
  Scratch table(*this, t.bytes());
  copy_from_host(table.as<void>(), t.host.data(), t.bytes());
  NN_LAUNCH(adam_kernel, blocks_for(t.total), threads_for(t.total), table.as<const OptimSlot>(),
            static_cast<int64_t>(t.host.size()), t.total, a.beta1, a.beta2, a.eps, wd, a.decoupled, c);
}

void CudaBackend::ema_update(float keep, float take, const ParamSlot* slots, int64_t nslots) {
  OptimTable t(slots, nslots);
  if (t.total == 0) return;
  Scratch table(*this, t.bytes());
  copy_from_host(table.as<void>(), t.host.data(), t.bytes());
  NN_LAUNCH(ema_kernel, blocks_for(t.total), threads_for(t.total), table.as<const OptimSlot>(),
            static_cast<int64_t>(t.host.size()), t.total, keep, take);
}

}  // namespace nn
