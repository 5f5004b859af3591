// 2-D max / average / adaptive-average pooling (kernels/pool.cuh).
#include "cuda_backend.h"
#include "kernels/pool.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

namespace {
int64_t out_count(const Pool2dArgs& a) { return a.n * a.c * a.oh * a.ow; }
int64_t in_count(const Pool2dArgs& a) { return a.n * a.c * a.h * a.w; }
}  // namespace

void CudaBackend::maxpool2d_forward(const Pool2dArgs& a, const float* x, float* y, int32_t* indices) {
  int64_t n = out_count(a);
  if (n > 0) NN_LAUNCH(maxpool_forward_kernel, blocks_for(n), threads_for(n), a, x, y, indices);
}
void CudaBackend::maxpool2d_backward(const Pool2dArgs& a, const float* dy, const int32_t* indices, float* dx) {
  int64_t n = in_count(a);
  if (n > 0) NN_LAUNCH(maxpool_backward_kernel, blocks_for(n), threads_for(n), a, dy, indices, dx);
}
void CudaBackend::avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) {
  int64_t n = out_count(a);
  if (n > 0) NN_LAUNCH(avgpool_forward_kernel, blocks_for(n), threads_for(n), a, x, y);
}
void CudaBackend::avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) {
  int64_t n = in_count(a);
  if (n > 0) NN_LAUNCH(avgpool_backward_kernel, blocks_for(n), threads_for(n), a, dy, dx);
}
void CudaBackend::adaptive_avgpool2d_forward(const Pool2dArgs& a, const float* x, float* y) {
  int64_t n = out_count(a);
  if (n > 0) NN_LAUNCH(adaptive_avgpool_forward_kernel, blocks_for(n), threads_for(n), a, x, y);
}
void CudaBackend::adaptive_avgpool2d_backward(const Pool2dArgs& a, const float* dy, float* dx) {
  int64_t n = in_count(a);
  if (n > 0) NN_LAUNCH(adaptive_avgpool_backward_kernel, blocks_for(n), threads_for(n), a, dy, dx);
}

}  // namespace nn
