// Index ops (kernels/indexing.cuh).
#include <vector>

#include "cuda_backend.h"
#include "kernels/indexing.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::index_select(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim,
                               int64_t inner, int64_t nidx) {
  int64_t n = outer * nidx * inner;
  if (n > 0) NN_LAUNCH(index_select_kernel, blocks_for(n), threads_for(n), x, idx, out, outer, dim, inner, nidx);
}

void CudaBackend::index_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim, int64_t inner,
                            int64_t nidx) {
  int64_t n = outer * inner;
  if (n > 0 && nidx > 0)
    NN_LAUNCH(index_add_kernel, blocks_for(n), threads_for(n), dout, idx, dx, outer, dim, inner, nidx);
}

void CudaBackend::gather(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner,
                         int64_t nj) {
  int64_t n = outer * nj * inner;
  if (n > 0) NN_LAUNCH(gather_kernel, blocks_for(n), threads_for(n), x, idx, out, outer, dim, inner, nj);
}

void CudaBackend::scatter_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim,
                              int64_t inner, int64_t nj) {
  int64_t n = outer * inner;
  if (n > 0 && nj > 0)
    NN_LAUNCH(scatter_add_kernel, blocks_for(n), threads_for(n), dout, idx, dx, outer, dim, inner, nj);
}

void CudaBackend::one_hot(const int32_t* labels, float* out, int64_t n, int64_t classes) {
  int64_t total = n * classes;
  if (total > 0) NN_LAUNCH(one_hot_kernel, blocks_for(total), threads_for(total), labels, out, n, classes);
}

}  // namespace nn
