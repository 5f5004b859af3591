#include "cpu_backend.h"
#include "../core/error.h"

namespace nn {

void CpuBackend::batchnorm_forward_train(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta, float* y, float* save_mean, float* save_invstd, float* running_mean, float* running_var) {
  fail(ErrorCode::Internal, "cpu: batchnorm_forward_train is being written");
}

void CpuBackend::batchnorm_forward_eval(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta, const float* running_mean, const float* running_var, float* y) {
  fail(ErrorCode::Internal, "cpu: batchnorm_forward_eval is being written");
}

void CpuBackend::batchnorm_backward(const BatchNormArgs& a, const float* x, const float* dy, const float* gamma, const float* save_mean, const float* save_invstd, float* dx, float* dgamma, float* dbeta) {
  fail(ErrorCode::Internal, "cpu: batchnorm_backward is being written");
}

}  // namespace nn
