// NN_HD marks per-element functions that both backends run: __host__ __device__ under nvcc,
// plain inline functions for the C++ compilers of the CPU backend and the CUDA simulator.
#pragma once
#if defined(__CUDACC__)
#define NN_HD __host__ __device__ __forceinline__
#else
#define NN_HD inline
#endif
