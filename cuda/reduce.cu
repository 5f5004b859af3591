// Reductions and argmax (kernels/reduce.cuh).
#include "cuda_backend.h"
#include "kernels/reduce.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::reduce(ReduceOp op, const float* x, float* y, int64_t outer, int64_t dim, int64_t inner) {
  if (outer * inner == 0) return;
  if (inner == 1)
    NN_LAUNCH(reduce_rows_kernel, row_blocks(outer), threads_for(dim), op, x, y, outer, dim);
  else
    NN_LAUNCH(reduce_cols_kernel, blocks_for(outer * inner), threads_for(outer * inner), op, x, y, outer, dim, inner);
}

// The squares go through the backend's reduce, so the loss is the separate ops' on this device.
void CudaBackend::squared_diff_reduce(ReduceOp op, const float* x, const float* t, float* diff, float* y, int64_t n) {
  Scratch sq(*this, sizeof(float) * static_cast<size_t>(n));
  if (n > 0) NN_LAUNCH(sub_square_kernel, blocks_for(n), threads_for(n), x, t, diff, sq.as<float>(), n);
  reduce(op, sq.as<float>(), y, 1, n, 1);
}

void CudaBackend::argmax(const float* x, int32_t* y, int64_t outer, int64_t dim, int64_t inner) {
  if (outer * inner == 0) return;
  if (inner == 1)
    NN_LAUNCH(argmax_rows_kernel, row_blocks(outer), threads_for(dim), x, y, outer, dim);
  else
    NN_LAUNCH(argmax_cols_kernel, blocks_for(outer * inner), threads_for(outer * inner), x, y, outer, dim, inner);
}

}  // namespace nn
