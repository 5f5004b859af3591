#include "simd.h"

#include "../../backend.h"
#include "../../core/flags.h"

#include <cstdlib>
#include <cstring>

namespace nn::cpu {

bool use_avx2() {
  static const bool v = [] {
    if (flags().disable_avx2) return false;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
  }();
  return v;
}

bool use_avx512() {
  static const bool v = [] {
    if (flags().disable_avx512 || !use_avx2()) return false;
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_cpu_supports("avx512f") != 0;
#else
    return false;
#endif
  }();
  return v;
}

}  // namespace nn::cpu

namespace nn {

const char* cpu_kernel_isa() { return cpu::use_avx512() ? "avx512" : cpu::use_avx2() ? "avx2" : "generic"; }

}  // namespace nn
