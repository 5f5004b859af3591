// Turns a run-time count into a compile-time one: kernels unrolled over a template count (tile<NP>)
// are picked by one call instead of a hand-written switch with a case per count.
#pragma once
#include <type_traits>

namespace nn::cpu::simd {
namespace {  // internal linkage, as in vec_traits.h: ISA-specific files must not share a copy

// Calls f(std::integral_constant<int, N>{}) for the first N in the list equal to n, or for the last
// N in the list when none is (the switch's default).
template <int N, int... Rest, class F>
inline void with_count(int n, F&& f) {
  if constexpr (sizeof...(Rest) == 0) {
    f(std::integral_constant<int, N>{});
  } else {
    if (n == N)
      f(std::integral_constant<int, N>{});
    else
      with_count<Rest...>(n, static_cast<F&&>(f));
  }
}

}  // namespace
}  // namespace nn::cpu::simd
