#include "cpu_backend.h"
#include "../core/error.h"

namespace nn {

void CpuBackend::index_select(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner, int64_t nidx) {
  fail(ErrorCode::Internal, "cpu: index_select is being written");
}

void CpuBackend::index_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim, int64_t inner, int64_t nidx) {
  fail(ErrorCode::Internal, "cpu: index_add is being written");
}

void CpuBackend::gather(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner, int64_t nj) {
  fail(ErrorCode::Internal, "cpu: gather is being written");
}

void CpuBackend::scatter_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim, int64_t inner, int64_t nj) {
  fail(ErrorCode::Internal, "cpu: scatter_add is being written");
}

void CpuBackend::one_hot(const int32_t* labels, float* out, int64_t n, int64_t classes) {
  fail(ErrorCode::Internal, "cpu: one_hot is being written");
}

}  // namespace nn
