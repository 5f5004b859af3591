#include "cpu_backend.h"
#include "../core/error.h"

namespace nn {

void CpuBackend::conv2d_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  fail(ErrorCode::Internal, "cpu: conv2d_forward is being written");
}

void CpuBackend::conv2d_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  fail(ErrorCode::Internal, "cpu: conv2d_backward_input is being written");
}

void CpuBackend::conv2d_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw) {
  fail(ErrorCode::Internal, "cpu: conv2d_backward_weight is being written");
}

void CpuBackend::conv2d_backward_bias(const Conv2dArgs& a, const float* dy, float* db) {
  fail(ErrorCode::Internal, "cpu: conv2d_backward_bias is being written");
}

}  // namespace nn
