// Max pooling's values alone, for inference (no gradient will ask for the indices): the AVX-512
// 2x2 stride-2 kernels of simd.h without the index arithmetic and stores, and relu (kernels/ops.h:
// v <= 0 gives +0, NaN passes) applied to the pooled values in registers when asked. The values
// are those of the indexed kernels bit for bit.
#pragma once
#include <cstdint>

namespace nn::cpu {

// One plane: y is [oh, ow], oh = h / 2, ow = w / 2 (w is the input row's length).
void maxpool2x2_plane_values_avx512(const float* x, int64_t w, int64_t oh, int64_t ow, float* y, bool relu);
// `planes` consecutive planes of at most 32 pooled outputs each (planes * h * w < 2^31).
void maxpool2x2_planes_values_avx512(const float* x, int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                     float* y, bool relu);

}  // namespace nn::cpu
