#include "cpu_backend.h"
#include "../core/error.h"

namespace nn {

void CpuBackend::maxpool2d_forward(const Pool2dArgs& a, const float* x, float* y, int32_t* indices) {
  fail(ErrorCode::Internal, "cpu: maxpool2d_forward is being written");
}

void CpuBackend::maxpool2d_backward(const Pool2dArgs& a, const float* dy, const int32_t* indices, float* dx) {
  fail(ErrorCode::Internal, "cpu: maxpool2d_backward is being written");
}

void CpuBackend::avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) {
  fail(ErrorCode::Internal, "cpu: avgpool2d_forward is being written");
}

void CpuBackend::avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) {
  fail(ErrorCode::Internal, "cpu: avgpool2d_backward is being written");
}

void CpuBackend::adaptive_avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) {
  fail(ErrorCode::Internal, "cpu: adaptive_avgpool2d_forward is being written");
}

void CpuBackend::adaptive_avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) {
  fail(ErrorCode::Internal, "cpu: adaptive_avgpool2d_backward is being written");
}

}  // namespace nn
