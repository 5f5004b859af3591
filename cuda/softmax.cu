// Softmax / log-softmax and the fused cross-entropy (kernels/softmax.cuh).
#include "cuda_backend.h"
#include "kernels/softmax.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::softmax(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner, bool log) {
  if (outer * dim * inner == 0) return;
  if (inner == 1)
    NN_LAUNCH(softmax_rows_kernel, row_blocks(outer), threads_for(dim), x, y, outer, dim, log);
  else
    NN_LAUNCH(softmax_cols_kernel, blocks_for(outer * inner), threads_for(outer * inner), x, y, outer, dim, inner, log);
}

void CudaBackend::softmax_backward(const float* y, const float* dy, float* dx, int64_t outer, int64_t dim,
                                   int64_t inner, bool log) {
  if (outer * dim * inner == 0) return;
  if (inner == 1)
    NN_LAUNCH(softmax_backward_rows_kernel, row_blocks(outer), threads_for(dim), y, dy, dx, outer, dim, log);
  else
    NN_LAUNCH(softmax_backward_cols_kernel, blocks_for(outer * inner), threads_for(outer * inner), y, dy, dx, outer,
              dim, inner, log);
}

void CudaBackend::cross_entropy_forward(const float* logits, const int32_t* labels, float* losses, float* probs,
                                        int64_t n, int64_t c, float label_smoothing) {
  if (n == 0) return;
  NN_LAUNCH(cross_entropy_forward_kernel, row_blocks(n), threads_for(c), logits, labels, losses, probs, n, c,
            label_smoothing);
}

void CudaBackend::cross_entropy_backward(const float* probs, const int32_t* labels, const float* dloss, float* dlogits,
                                         int64_t n, int64_t c, float label_smoothing) {
  if (n * c == 0) return;
  NN_LAUNCH(cross_entropy_backward_kernel, blocks_for(n * c), threads_for(n * c), probs, labels, dloss, dlogits, n, c,
            label_smoothing);
}

}  // namespace nn
