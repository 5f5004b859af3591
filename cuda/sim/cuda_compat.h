// Lets cuda/kernels/*.cuh compile both under nvcc and under g++ over the simulator.
//
// Kernel code uses the CUDA spellings directly (__global__, __device__, threadIdx, blockIdx,
// blockDim, gridDim, __syncthreads, __shfl_down_sync, __shfl_xor_sync, atomicAdd) plus two
// macros of ours that have no single spelling valid in both worlds:
//   NN_SHARED(type, name, dims)   a fixed-size __shared__ array, e.g. NN_SHARED(float, tile, [16][17]);
//   NN_LAUNCH(kernel, grid, block, args...)   launches a kernel (defined in cuda/launch.h).
#pragma once

#if defined(__CUDACC__)

#include <cuda_runtime.h>

#define NN_SHARED(type, name, dims) __shared__ type name dims
#define NN_DEVICE __device__ __forceinline__

#else  // the simulator

#include <cmath>
#include <cstdint>

#include "fake_runtime.h"
#include "sim.h"

#define __global__ __attribute__((unused))  // kernels are declared `static __global__` (one copy per .cu)
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
#define NN_DEVICE inline

using nnsim::dim3;

// Each read goes through the current simulated thread.
#define threadIdx (::nnsim::current().threadIdx)
#define blockIdx (::nnsim::current().blockIdx)
#define blockDim (::nnsim::current().blockDim)
#define gridDim (::nnsim::current().gridDim)
#define warpSize 32

#define NN_SIM_STR2(x) #x
#define NN_SIM_STR(x) NN_SIM_STR2(x)
#define NN_SIM_SITE __FILE__ ":" NN_SIM_STR(__LINE__)

#define __syncthreads() ::nnsim::syncthreads(NN_SIM_SITE)
#define __shfl_down_sync(mask, v, delta) ::nnsim::shfl((mask), (v), ::nnsim::kShflDown, (delta), NN_SIM_SITE)
#define __shfl_xor_sync(mask, v, lanemask) ::nnsim::shfl((mask), (v), ::nnsim::kShflXor, (lanemask), NN_SIM_SITE)
#define __shfl_sync(mask, v, src) ::nnsim::shfl((mask), (v), ::nnsim::kShflIdx, (src), NN_SIM_SITE)

template <typename T>
inline T atomicAdd(T* addr, T v) {
  return ::nnsim::atomic_add(addr, v);
}

// The k-th NN_SHARED declaration of every thread of a block names the same bytes of the
// block's shared arena.
#define NN_SHARED(type, name, dims) \
  type(&name) dims = *reinterpret_cast<type(*) dims>(::nnsim::shared_alloc(sizeof(type dims), alignof(type)))

#endif
