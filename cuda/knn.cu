// Pairwise squared distances, top-k and exact k-NN (kernels/knn.cuh).
#include <vector>

#include "cuda_backend.h"
#include "kernels/knn.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::pairwise_sqdist(const float* a, const float* b, float* d, int64_t m, int64_t n, int64_t dim) {
  if (m == 0 || n == 0) return;
  if (dim == 0) {
    fill_f32(d, m * n, 0.f);
    return;
  }
  Scratch na(*this, sizeof(float) * m), nb(*this, sizeof(float) * n);
  NN_LAUNCH(row_sqnorms_kernel, blocks_for(m), threads_for(m), a, na.as<float>(), m, dim);
  NN_LAUNCH(row_sqnorms_kernel, blocks_for(n), threads_for(n), b, nb.as<float>(), n, dim);
  GemmArgs g = sqdist_gemm_args(m, n, dim);
  launch_gemm(g, a, b, d);
  NN_LAUNCH(sqdist_finish_kernel, blocks_for(m * n), threads_for(m * n), d, na.as<float>(), nb.as<float>(), m, n);
}

void CudaBackend::topk(const float* x, float* values, int32_t* indices, int64_t rows, int64_t cols, int64_t k,
                       bool largest) {
  if (rows == 0 || k == 0) return;
  NN_LAUNCH(topk_kernel, blocks_for(rows), threads_for(rows), x, values, indices, rows, cols, k, largest);
}

// Exhaustive on the device: proj_dim (a CPU pruning hint) is not used; results are the same.
void CudaBackend::knn_exact(const KnnExactArgs& a, const uint8_t* train, const uint8_t* queries, int32_t* idx,
                            int32_t* dist) {
  if (a.m == 0 || a.k == 0) return;
  NN_LAUNCH(knn_exact_kernel, blocks_for(a.m), threads_for(a.m), train, queries, idx, dist, a.n, a.m, a.dim, a.k);
}

}  // namespace nn
