// The fused linear layer's bias-and-activation pass and its backward, grid-stride loops around
// the NN_HD math of native/kernels/linear.h (the same rounding as the CPU backend).
#pragma once
#include <cstdint>

#include "../../native/kernels/linear.h"
#include "common.cuh"

namespace nn::cuda {

// y [n / cols, cols] in place: act(y + bias[col]); bias may be null.
static __global__ void bias_act_kernel(LinearAct act, const float* bias, float* y, int64_t n, int64_t cols) {
  NN_GRID_STRIDE(i, n) {
    const float z = bias ? binary_forward(BinaryOp::Add, y[i], bias[i % cols]) : y[i];
    y[i] = linear_act_forward(act, z);
  }
}

static __global__ void act_backward_kernel(LinearAct act, const float* y, const float* dy, float* dz, int64_t n) {
  NN_GRID_STRIDE(i, n) dz[i] = linear_act_grad(act, y[i], dy[i]);
}

}  // namespace nn::cuda
