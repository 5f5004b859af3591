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

void CudaBackend::argmax(const float* x, int32_t* y, int64_t outer, int64_t dim, int64_t inner) {
  if (outer * inner == 0) return;
  if (inner == 1)
    NN_LAUNCH(argmax_rows_kernel, row_blocks(outer), threads_for(dim), x, y, outer, dim);
  else
    NN_LAUNCH(argmax_cols_kernel, blocks_for(outer * inner), threads_for(outer * inner), x, y, outer, dim, inner);
}

}  // namespace nn
