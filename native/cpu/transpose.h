// Out-of-place float matrix transpose: the layout change of the small-map convolutions
// (conv2d_small.h), which work on activations with the batch innermost.
#pragma once
#include <cstdint>

namespace nn::cpu {

// out[c * ldo + r] = in[r * ldi + c] for r < rows, c < cols, on the calling thread.
void transpose_f32(const float* in, int64_t rows, int64_t cols, int64_t ldi, float* out, int64_t ldo);
// The same split over the thread pool (by bands of output rows).
void transpose_f32_parallel(const float* in, int64_t rows, int64_t cols, int64_t ldi, float* out, int64_t ldo);

// AVX2 variant (transpose_avx2.cpp); only called after a runtime CPU check.
void transpose_f32_avx2(const float* in, int64_t rows, int64_t cols, int64_t ldi, float* out, int64_t ldo);

}  // namespace nn::cpu
