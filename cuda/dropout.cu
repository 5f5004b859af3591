// Dropout with a Philox mask (kernels/elementwise.cuh), the same mask as the CPU.
#include "cuda_backend.h"
#include "kernels/elementwise.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::dropout(const float* x, float* y, uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset) {
  if (n <= 0) return;
  int64_t nb = (n + 3) / 4;
  NN_LAUNCH(dropout_kernel, blocks_for(nb), threads_for(nb), x, y, mask, n, p, 1.f / (1.f - p), seed, offset);
}

void CudaBackend::dropout_backward(const float* dy, const uint8_t* mask, float* dx, int64_t n, float p) {
  if (n > 0) NN_LAUNCH(dropout_backward_kernel, blocks_for(n), threads_for(n), dy, mask, dx, n, 1.f / (1.f - p));
}

}  // namespace nn
