// Matrix products through the tiled kernel of kernels/gemm.cuh. cuBLAS is not used: it is not
// installable on the build machines, and our kernel is the baseline the simulator verifies.
#include <algorithm>

#include "cuda_backend.h"
#include "kernels/gemm.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

namespace cuda {
// Shared by gemm(), conv2d and pairwise_sqdist.
void launch_gemm(const GemmArgs& g, const float* A, const float* B, float* C) {
  if (g.m <= 0 || g.n <= 0 || g.batch <= 0) return;
  int64_t tn = (g.n + kGemmTile - 1) / kGemmTile, tm = (g.m + kGemmTile - 1) / kGemmTile;
  // Tiles beyond the grid are covered by the kernel's loops.
  dim3 grid(static_cast<unsigned>(std::min<int64_t>(tn, 65535)), static_cast<unsigned>(std::min<int64_t>(tm, 65535)),
            static_cast<unsigned>(std::min<int64_t>(g.batch, 65535)));
  NN_LAUNCH(gemm_kernel, grid, dim3(kGemmThreads, kGemmThreads), g, A, B, C);
}
}  // namespace cuda

void CudaBackend::gemm(const GemmArgs& a, const float* A, const float* B, float* C) { launch_gemm(a, A, B, C); }

}  // namespace nn
