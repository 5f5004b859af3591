#include "transpose.h"

#include <algorithm>

#include "../../core/thread_pool.h"
#include "../simd/simd.h"

namespace nn::cpu {

void transpose_f32(const float* in, int64_t rows, int64_t cols, int64_t ldi, float* out, int64_t ldo,
                   const TransposeMasks& masks) {
#if NNLAB_X86_KERNELS
  if (use_avx2()) {
    transpose_f32_avx2(in, rows, cols, ldi, out, ldo, masks);
    return;
  }
#endif
  // 32 x 32 blocks: both sides stay within a few cache lines per row of the block.
  constexpr int64_t B = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += B)
    for (int64_t c0 = 0; c0 < cols; c0 += B) {
      const int64_t r1 = std::min(rows, r0 + B), c1 = std::min(cols, c0 + B);
      for (int64_t c = c0; c < c1; ++c) {
        if (masks.cols_needed && !masks.cols_needed[c]) continue;
        for (int64_t r = r0; r < r1; ++r)
          out[c * ldo + r] = masks.rows_present && !masks.rows_present[r] ? 0.f : in[r * ldi + c];
      }
    }
}

void transpose_f32_parallel(const float* in, int64_t rows, int64_t cols, int64_t ldi, float* out, int64_t ldo,
                            const TransposeMasks& masks) {
  // Bands of output rows (input columns), multiples of 8 so the AVX2 blocks stay whole.
  const int64_t bands = (cols + 7) / 8;
  parallel_for(bands, std::max<int64_t>(1, 32768 / std::max<int64_t>(rows * 8, 1)), [&](int64_t lo, int64_t hi) {
    const int64_t c0 = lo * 8, c1 = std::min(cols, hi * 8);
    TransposeMasks m = masks;
    if (m.cols_needed) m.cols_needed += c0;
    transpose_f32(in + c0, rows, c1 - c0, ldi, out + c0 * ldo, ldo, m);
  });
}

}  // namespace nn::cpu
