// squared_diff.h's block on 16 lanes: one vector accumulator holds lane_reduce's 16 lanes.
// Contraction off: d * d is rounded before it is added, as the separate square and sum round.
#pragma GCC optimize("fp-contract=off")
#include <immintrin.h>

#include "squared_diff.h"

float nn::cpu::squared_diff_block_avx512(const float* x, const float* t, float* diff, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(t + i));
    _mm512_storeu_ps(diff + i, d);
    acc = _mm512_add_ps(acc, _mm512_mul_ps(d, d));
  }
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, acc);
  for (; i < n; ++i) {
    const float d = x[i] - t[i];
    diff[i] = d;
    lanes[0] += d * d;
  }
  for (int w = 8; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) lanes[j] += lanes[j + w];
  return lanes[0];
}
