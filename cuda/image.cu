// Image transforms (kernels/image.cuh).
#include "cuda_backend.h"
#include "kernels/image.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::warp_perspective(const WarpArgs& a, const float* x, const float* matrices, float* y) {
  int64_t n = a.n * a.oh * a.ow;
  if (n * a.c == 0) return;
  NN_LAUNCH(warp_perspective_kernel, blocks_for(n), threads_for(n), a, x, matrices, y);
}

void CudaBackend::resize_bilinear(const WarpArgs& a, const float* x, float* y) {
  int64_t n = a.n * a.c * a.oh * a.ow;
  if (n == 0) return;
  const float sy = static_cast<float>(a.h) / static_cast<float>(a.oh);
  const float sx = static_cast<float>(a.w) / static_cast<float>(a.ow);
  NN_LAUNCH(resize_bilinear_kernel, blocks_for(n), threads_for(n), a, x, y, sy, sx);
}

void CudaBackend::brightness(const float* x, const float* factor, const float* shift, float* y, int64_t n,
                             int64_t per_image, float lo, float hi) {
  int64_t total = n * per_image;
  if (total == 0) return;
  NN_LAUNCH(brightness_kernel, blocks_for(total), threads_for(total), x, factor, shift, y, n, per_image, lo, hi);
}

}  // namespace nn
