// NN_HD marks per-element functions that both backends run: __host__ __device__ under nvcc,
// plain inline functions for the C++ compilers of the CPU backend and the CUDA simulator.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define NN_HD __host__ __device__ __forceinline__
#else
#define NN_HD inline
#endif

// Float products and sums rounded exactly as written, never contracted into a fused multiply-add.
// Where the CPU and CUDA backends must give the same bits (arange, the Philox fills), nvcc would
// otherwise turn a*b+c into an FMA (it contracts by default; g++ does too on ISAs with FMA, e.g.
// aarch64), and the CPU, on plain x86-64, rounds twice. __fmul_rn/__fadd_rn are never contracted;
// on the host the product goes through a volatile so no compiler can fuse it with the add.
#if defined(__CUDA_ARCH__)
NN_HD float nn_fmul_rn(float a, float b) { return __fmul_rn(a, b); }
NN_HD float nn_fadd_rn(float a, float b) { return __fadd_rn(a, b); }
#else
NN_HD float nn_fmul_rn(float a, float b) {
  volatile float p = a * b;
  return p;
}
NN_HD float nn_fadd_rn(float a, float b) {
  volatile float s = a + b;
  return s;
}
#endif

namespace nn {

// The bits of a float and back (no aliasing rules broken; compiles to a register move).
NN_HD uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
NN_HD float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace nn
