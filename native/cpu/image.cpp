#include "cpu_backend.h"
#include "../core/error.h"

namespace nn {

void CpuBackend::warp_perspective(const WarpArgs& a, const float* x, const float* matrices, float* y) {
  fail(ErrorCode::Internal, "cpu: warp_perspective is being written");
}

void CpuBackend::resize_bilinear(const WarpArgs& a, const float* x, float* y) {
  fail(ErrorCode::Internal, "cpu: resize_bilinear is being written");
}

void CpuBackend::brightness(const float* x, const float* factor, const float* shift, float* y, int64_t n, int64_t per_image, float lo, float hi) {
  fail(ErrorCode::Internal, "cpu: brightness is being written");
}

}  // namespace nn
