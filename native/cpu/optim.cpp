#include "cpu_backend.h"
#include "../core/error.h"

namespace nn {

void CpuBackend::sgd_step(const SgdArgs& a, const ParamSlot* slots, int64_t nslots) {
  fail(ErrorCode::Internal, "cpu: sgd_step is being written");
}

void CpuBackend::adam_step(const AdamArgs& a, const ParamSlot* slots, int64_t nslots) {
  fail(ErrorCode::Internal, "cpu: adam_step is being written");
}

}  // namespace nn
