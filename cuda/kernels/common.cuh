// Building blocks of the kernels: grid-stride loops and warp/block reductions. Everything here
// stays inside the simulator's subset (see cuda/sim/sim.h).
#pragma once
#include <cstdint>

#include "../../native/kernels/hd.h"
#include "../sim/cuda_compat.h"

namespace nn::cuda {

// Global linear index of this thread and the total number of threads of the grid (64-bit:
// grid-stride loops run over tensors larger than 2^31 elements).
NN_DEVICE int64_t global_index() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
NN_DEVICE int64_t grid_threads() { return static_cast<int64_t>(blockDim.x) * gridDim.x; }

#define NN_GRID_STRIDE(i, n) \
  for (int64_t i = ::nn::cuda::global_index(), i##_step = ::nn::cuda::grid_threads(); i < (n); i += i##_step)

struct SumOp {
  template <typename T>
  NN_DEVICE T operator()(T a, T b) const {
    return a + b;
  }
};
// NaN-propagating max/min, as reduce_combine in kernels/ops.h.
struct MaxOp {
  NN_DEVICE float operator()(float a, float b) const { return (b > a || b != b) ? b : a; }
};
struct MinOp {
  NN_DEVICE float operator()(float a, float b) const { return (b < a || b != b) ? b : a; }
};

// Tree reduction over the 32 lanes of a warp; lane 0 ends with the result. Every lane of the
// warp must call it (full-mask shuffles).
template <typename T, typename Op>
NN_DEVICE T warp_reduce(T v, Op op) {
  for (int off = 16; off > 0; off >>= 1) v = op(v, __shfl_down_sync(0xffffffffu, v, off));
  return v;
}

// Reduction over the whole block (blockDim.x a multiple of 32, blockDim.y = blockDim.z = 1);
// every thread gets the result. `smem` holds at least 33 values of T. Every thread of the block
// must call it, in the same order. The trailing barrier lets the caller reuse `smem` at once.
template <typename T, typename Op>
NN_DEVICE T block_reduce(T v, Op op, T identity, T* smem) {
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  const int nwarps = blockDim.x >> 5;
  v = warp_reduce(v, op);
  if (lane == 0) smem[wid] = v;
  __syncthreads();
  if (wid == 0) {
    T x = lane < nwarps ? smem[lane] : identity;
    x = warp_reduce(x, op);
    if (lane == 0) smem[32] = x;
  }
  __syncthreads();
  T r = smem[32];
  __syncthreads();
  return r;
}

}  // namespace nn::cuda
