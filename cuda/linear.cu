// The fused linear layer's pass over its GEMM output and the activation's backward; the GEMMs
// around them are the backend's gemm (cuda/gemm.cu).
#include "cuda_backend.h"
#include "kernels/linear.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::bias_act_forward(LinearAct act, const float* bias, float* y, int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  if (n > 0 && (act != LinearAct::None || bias))
    NN_LAUNCH(bias_act_kernel, blocks_for(n), threads_for(n), act, bias, y, n, cols);
}

void CudaBackend::bias_act_backward(LinearAct act, const float* y, const float* dy, float* dz, float* dbias,
                                    int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  if (n > 0) NN_LAUNCH(act_backward_kernel, blocks_for(n), threads_for(n), act, y, dy, dz, n);
  // The bias gradient is the backend's column sum of dz, the reduction the CPU fuses into its pass.
  if (dbias) reduce(ReduceOp::Sum, dz, dbias, 1, rows, cols);
}

}  // namespace nn
