// Out-of-place float matrix transpose: the layout change of the small-map convolutions
// (conv2d_small.h), which work on activations with the batch innermost.
#pragma once
#include <cstdint>

namespace nn::cpu {

// Optional sparsity of a transpose: input columns nobody needs (their output rows may be left
// unwritten, so whole 8-column blocks of them are skipped), and input rows to read as zeros.
struct TransposeMasks {
  const char* cols_needed = nullptr;   // per input column; null: all
  const char* rows_present = nullptr;  // per input row; null: all (absent rows are never read)
};

// out[c * ldo + r] = in[r * ldi + c] for r < rows, c < cols, on the calling thread.
void transpose_f32(const float* in, int64_t rows, int64_t cols, int64_t ldi, float* out, int64_t ldo,
                   const TransposeMasks& masks = {});
// The same split over the thread pool (by bands of output rows).
void transpose_f32_parallel(const float* in, int64_t rows, int64_t cols, int64_t ldi, float* out, int64_t ldo,
                            const TransposeMasks& masks = {});

// AVX2 variant (transpose_avx2.cpp); only called after a runtime CPU check.
void transpose_f32_avx2(const float* in, int64_t rows, int64_t cols, int64_t ldi, float* out, int64_t ldo,
                        const TransposeMasks& masks);

}  // namespace nn::cpu
