// conv_window_pack.h's packer: per row one masked load of the window and one zero-masking permute.
#include <immintrin.h>

#include "conv_window_pack.h"

namespace nn::cpu {

void pack_window_panel_avx512(const float* src, int64_t ld, int64_t nrows, const PanelWindow& w, float* out) {
  const __m512i idx = _mm512_load_si512(w.idx);
  const __mmask16 mask = w.mask, load = w.load;
  src += w.start;
  int64_t r = 0;
  for (; r + 4 <= nrows; r += 4)
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u)
      _mm512_store_ps(out + (r + u) * 16,
                      _mm512_maskz_permutexvar_ps(mask, idx, _mm512_maskz_loadu_ps(load, src + (r + u) * ld)));
  for (; r < nrows; ++r)
    _mm512_store_ps(out + r * 16, _mm512_maskz_permutexvar_ps(mask, idx, _mm512_maskz_loadu_ps(load, src + r * ld)));
}

}  // namespace nn::cpu
