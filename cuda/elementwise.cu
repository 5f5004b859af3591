// Elementwise ops: unary maps and their derivatives, broadcasting binary ops, where.
#include "cuda_backend.h"
#include "kernels/elementwise.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta) {
  if (n > 0) NN_LAUNCH(unary_kernel, blocks_for(n), threads_for(n), op, x, y, n, alpha, beta);
}

void CudaBackend::unary_backward(UnaryOp op, const float* x, const float* y, const float* dy, float* dx, int64_t n,
                                 float alpha, float beta) {
  if (n > 0) NN_LAUNCH(unary_backward_kernel, blocks_for(n), threads_for(n), op, x, y, dy, dx, n, alpha, beta);
}

void CudaBackend::binary(BinaryOp op, const BroadcastArgs& a, const float* x, const float* y, float* out) {
  int64_t n = 1;
  for (int d = 0; d < a.ndim; ++d) n *= a.out_shape[d];
  if (n == 0) return;
  // Operands that are each either contiguous over the whole output or a single value skip the
  // per-element index decoding.
  int64_t sx = 1, sy = 1, expect = 1;
  bool flat_x = true, flat_y = true, scalar_x = true, scalar_y = true;
  for (int d = a.ndim - 1; d >= 0; --d) {
    if (a.out_shape[d] == 1) continue;
    flat_x = flat_x && a.a_strides[d] == expect;
    flat_y = flat_y && a.b_strides[d] == expect;
    scalar_x = scalar_x && a.a_strides[d] == 0;
    scalar_y = scalar_y && a.b_strides[d] == 0;
    expect *= a.out_shape[d];
  }
  if ((flat_x || scalar_x) && (flat_y || scalar_y)) {
    sx = scalar_x ? 0 : 1;
    sy = scalar_y ? 0 : 1;
    NN_LAUNCH(binary_flat_kernel, blocks_for(n), threads_for(n), op, x, sx, y, sy, out, n);
    return;
  }
  NN_LAUNCH(binary_kernel, blocks_for(n), threads_for(n), op, a, x, y, out, n);
}

void CudaBackend::where(const uint8_t* cond, const float* a, const float* b, float* out, int64_t n) {
  if (n > 0) NN_LAUNCH(where_kernel, blocks_for(n), threads_for(n), cond, a, b, out, n);
}

}  // namespace nn
