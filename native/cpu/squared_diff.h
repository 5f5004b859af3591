// One block of squared_diff_reduce (squared_diff.cpp): diff = x - t written, and the sum of
// diff^2 as lane_reduce<Sum> (simd/lane_reduce.h) would give it over the squares: 16 lanes, the
// elements past the last full 16 added into lane 0, then the halving tree.
#pragma once
#include <cstdint>

namespace nn::cpu {

// The AVX-512 loop, for n >= 16 and use_avx512().
float squared_diff_block_avx512(const float* x, const float* t, float* diff, int64_t n);

}  // namespace nn::cpu
