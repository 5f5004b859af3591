// Batch normalisation (kernels/batchnorm.cuh): per-channel blocks for training forward and
// backward, an elementwise kernel for evaluation.
#include "cuda_backend.h"
#include "kernels/batchnorm.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::batchnorm_forward_train(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta,
                                          float* y, float* save_mean, float* save_invstd, float* running_mean,
                                          float* running_var) {
  if (a.c == 0) return;
  NN_LAUNCH(batchnorm_train_kernel, row_blocks(a.c), threads_for(a.n * a.hw), a, x, gamma, beta, y, save_mean,
            save_invstd, running_mean, running_var);
}

void CudaBackend::batchnorm_forward_eval(const BatchNormArgs& a, const float* x, const float* gamma, const float* beta,
                                         const float* running_mean, const float* running_var, float* y) {
  int64_t n = a.n * a.c * a.hw;
  if (n > 0)
    NN_LAUNCH(batchnorm_eval_kernel, blocks_for(n), threads_for(n), a, x, gamma, beta, running_mean, running_var, y);
}

void CudaBackend::batchnorm_backward(const BatchNormArgs& a, const float* x, const float* dy, const float* gamma,
                                     const float* save_mean, const float* save_invstd, float* dx, float* dgamma,
                                     float* dbeta) {
  if (a.c == 0) return;
  NN_LAUNCH(batchnorm_backward_kernel, row_blocks(a.c), threads_for(a.n * a.hw), a, x, dy, gamma, save_mean,
            save_invstd, dx, dgamma, dbeta);
}

}  // namespace nn
