// AVX-512 kernels of conv_pool_direct.h. Only <immintrin.h> is included, so no inline library
// function carries AVX-512 code out of this file.
#include <immintrin.h>

#include "conv_pool_direct.h"

namespace nn::cpu {
namespace {

inline __mmask16 first(int64_t n) { return n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1); }

// The 16 input vectors of pooled row r, pooled columns q0.. : v[row][t] = x[2r + row][2(q0 + lane) + t]
// for row, t in 0..3 (column phase t: even/odd of column pair q or q + 1).
inline void load_window_inputs(const float* planes, int64_t len, int64_t r, int64_t q0, __m512 v[4][4]) {
  for (int row = 0; row < 4; ++row) {
    const float* even = planes + 2 * (2 * r + row) * len + q0;
    const float* odd = even + len;
    v[row][0] = _mm512_loadu_ps(even);
    v[row][1] = _mm512_loadu_ps(odd);
    v[row][2] = _mm512_loadu_ps(even + 1);
    v[row][3] = _mm512_loadu_ps(odd + 1);
  }
}

}  // namespace

namespace {

// The window's four convolution outputs of NK consecutive output channels from k (weights w + 9k,
// bias or null), then their maximum (and, with Idx, its index from the window's first cell
// `corner`; with Relu, relu of the maximum), stored at offset `at` of each channel's plane (mask m).
// NK channels at a time give the core NK independent chains of 9 fused multiply-adds per output;
// each output still takes its 9 products in the order (i, j), from the bias.
template <int NK, bool Idx, bool Relu>
inline void pool_channels(const __m512 v[4][4], const float* w, const float* bias, int64_t k, __m512i corner,
                          __m512i one, __m512i down, __m512i down_one, __mmask16 m, int64_t plane, float* y,
                          int32_t* idx) {
  __m512 acc[NK][2][2];
  for (int c = 0; c < NK; ++c) {
    const __m512 b = _mm512_set1_ps(bias ? bias[k + c] : 0.f);
    acc[c][0][0] = acc[c][0][1] = acc[c][1][0] = acc[c][1][1] = b;
  }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int c = 0; c < NK; ++c) {
        const __m512 wij = _mm512_set1_ps(w[9 * (k + c) + 3 * i + j]);
        for (int dr = 0; dr < 2; ++dr)
          for (int dc = 0; dc < 2; ++dc) acc[c][dr][dc] = _mm512_fmadd_ps(wij, v[dr + i][dc + j], acc[c][dr][dc]);
      }
  for (int c = 0; c < NK; ++c) {
    // Window cells in row-major order; a later one wins when strictly greater or NaN.
    __m512 best = acc[c][0][0];
    __m512i arg = corner;
    const __m512 cand[3] = {acc[c][0][1], acc[c][1][0], acc[c][1][1]};
    const __m512i off[3] = {one, down, down_one};
    for (int e = 0; e < 3; ++e) {
      const __mmask16 take =
          _mm512_cmp_ps_mask(cand[e], best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(cand[e], cand[e], _CMP_UNORD_Q);
      best = _mm512_mask_blend_ps(take, best, cand[e]);
      if (Idx) arg = _mm512_mask_blend_epi32(take, arg, _mm512_add_epi32(corner, off[e]));
    }
    // relu as kernels/ops.h: x <= 0 gives +0, NaN passes.
    if (Relu)
      best = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(best, _mm512_setzero_ps(), _CMP_LE_OQ), best, _mm512_setzero_ps());
    _mm512_mask_storeu_ps(y + (k + c) * plane, m, best);
    if (Idx) _mm512_mask_storeu_epi32(idx + (k + c) * plane, m, arg);
  }
}

template <bool Idx, bool Relu>
void forward_planes(const ConvPoolShape& s, const float* quadrants, const int32_t* corners, const float* w,
                    const float* bias, float* y, int32_t* idx) {
  const int64_t len = conv_pool_quadrant_len(s), plane = s.ph * s.pw;
  const __m512i one = _mm512_set1_epi32(1), down = _mm512_set1_epi32(static_cast<int>(s.ow));
  const __m512i down_one = _mm512_set1_epi32(static_cast<int>(s.ow + 1));
  for (int64_t p0 = 0; p0 < plane; p0 += 16) {
    const __mmask16 m = first(plane - p0);
    __m512 v[4][4];
    for (int a = 0; a < 4; ++a)
      for (int b = 0; b < 4; ++b) v[a][b] = _mm512_loadu_ps(quadrants + (4 * a + b) * len + p0);
    const __m512i corner = Idx ? _mm512_loadu_si512(corners + p0) : _mm512_setzero_si512();
    float* yp = y + p0;
    int32_t* ip = Idx ? idx + p0 : nullptr;
    int64_t k = 0;
    for (; k + 2 <= s.kg; k += 2)
      pool_channels<2, Idx, Relu>(v, w, bias, k, corner, one, down, down_one, m, plane, yp, ip);
    if (k < s.kg) pool_channels<1, Idx, Relu>(v, w, bias, k, corner, one, down, down_one, m, plane, yp, ip);
  }
}

}  // namespace

// Each input row a pooled row needs is loaded 16 pooled columns at a time (32 inputs from column
// 2 * q0, and from 2 * q0 + 2 for phases 2 and 3) and split into its even and odd columns.
void conv_pool_quadrants(const ConvPoolShape& s, const float* x, float* out) {
  const int64_t len = conv_pool_quadrant_len(s);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const auto inputs = [&](const float* row, int64_t from, __m512& lo, __m512& hi) {
    lo = _mm512_maskz_loadu_ps(first(s.w - from), row + from);
    hi = _mm512_maskz_loadu_ps(s.w - from > 16 ? first(s.w - from - 16) : 0, row + from + 16);
  };
  for (int64_t a = 0; a < 4; ++a)
    for (int64_t py = 0; py < s.ph; ++py) {
      const float* row = x + (2 * py + a) * s.w;
      float* q = out + 4 * a * len + py * s.pw;
      for (int64_t q0 = 0; q0 < s.pw; q0 += 16) {
        const __mmask16 m = first(s.pw - q0);
        __m512 lo, hi;
        inputs(row, 2 * q0, lo, hi);
        _mm512_mask_storeu_ps(q + q0, m, _mm512_permutex2var_ps(lo, even, hi));
        _mm512_mask_storeu_ps(q + len + q0, m, _mm512_permutex2var_ps(lo, odd, hi));
        inputs(row, 2 * q0 + 2, lo, hi);
        _mm512_mask_storeu_ps(q + 2 * len + q0, m, _mm512_permutex2var_ps(lo, even, hi));
        _mm512_mask_storeu_ps(q + 3 * len + q0, m, _mm512_permutex2var_ps(lo, odd, hi));
      }
    }
}

void conv_pool_forward_avx512(const ConvPoolShape& s, const float* quadrants, const int32_t* corners, const float* w,
                              const float* bias, float* y, int32_t* idx, bool relu) {
  if (idx)
    relu ? forward_planes<true, true>(s, quadrants, corners, w, bias, y, idx)
         : forward_planes<true, false>(s, quadrants, corners, w, bias, y, idx);
  else
    relu ? forward_planes<false, true>(s, quadrants, corners, w, bias, y, idx)
         : forward_planes<false, false>(s, quadrants, corners, w, bias, y, idx);
}

// The weight gradients of up to kChunk output channels at a time, each tap's accumulators in a
// block on the stack: the 16 window inputs of a pooled row segment are then loaded once for the
// chunk, not once per channel (as memory operands of 36 multiply-adds each, most of them split
// across cache lines, which the loads, not the multiply-adds, paced). Every accumulator still
// takes the same products in the same order (rows, then segments; cells in order), from zero for
// each plane: the same sums.
namespace {

// Relu: relu_y is read and masks each pooled gradient (a separate instantiation, so the loop
// without it carries no test or load for it).
template <bool Relu>
bool backward_planes(const ConvPoolShape& s, const float* planes, const float* dy, const float* relu_y,
                     const int32_t* idx, float* acc) {
  constexpr int64_t kChunk = 16;
  const int64_t len = conv_pool_phase_len(s), plane = s.ph * s.pw;
  const __m512i lane2 = _mm512_slli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 1);
  const __m512i one = _mm512_set1_epi32(1), down = _mm512_set1_epi32(static_cast<int>(s.ow));
  const __m512i down_one = _mm512_set1_epi32(static_cast<int>(s.ow + 1));
  for (int64_t k0 = 0; k0 < s.kg; k0 += kChunk) {
    const int64_t nk = s.kg - k0 < kChunk ? s.kg - k0 : kChunk;
    __m512 sums[kChunk][10];  // [channel][tap 0..8, bias]
    for (int64_t c = 0; c < nk; ++c)
      for (int e = 0; e < 10; ++e) sums[c][e] = _mm512_setzero_ps();
    for (int64_t r = 0; r < s.ph; ++r)
      for (int64_t q0 = 0; q0 < s.pw; q0 += 16) {
        const __mmask16 m = first(s.pw - q0);
        const __m512i base = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(2 * r * s.ow + 2 * q0)), lane2);
        __m512 v[4][4];
        load_window_inputs(planes, len, r, q0, v);
        for (int64_t c = 0; c < nk; ++c) {
          const int64_t at = (k0 + c) * plane + r * s.pw + q0;
          _mm_prefetch(reinterpret_cast<const char*>(dy + at + 32), _MM_HINT_T0);
          _mm_prefetch(reinterpret_cast<const char*>(idx + at + 32), _MM_HINT_T0);
          if (Relu) _mm_prefetch(reinterpret_cast<const char*>(relu_y + at + 32), _MM_HINT_T0);
          __m512 g = _mm512_maskz_loadu_ps(m, dy + at);
          // relu's backward: x <= 0 gives +0, NaN passes (kernels/ops.h), read off relu's output.
          if (Relu)
            g = _mm512_mask_mov_ps(
                g, _mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(m, relu_y + at), _mm512_setzero_ps(), _CMP_LE_OQ),
                _mm512_setzero_ps());
          const __m512i rel = _mm512_sub_epi32(_mm512_maskz_loadu_epi32(m, idx + at), base);
          // The window cell each pooled gradient came from (lanes past the row hold zero).
          const __mmask16 c00 = _mm512_cmpeq_epi32_mask(rel, _mm512_setzero_si512()),
                          c01 = _mm512_cmpeq_epi32_mask(rel, one), c10 = _mm512_cmpeq_epi32_mask(rel, down),
                          c11 = _mm512_cmpeq_epi32_mask(rel, down_one);
          if (((c00 | c01 | c10 | c11) & m) != m) return false;  // an index outside its own window (caller-made)
          __m512 gc[2][2];
          gc[0][0] = _mm512_maskz_mov_ps(c00, g);
          gc[0][1] = _mm512_maskz_mov_ps(c01, g);
          gc[1][0] = _mm512_maskz_mov_ps(c10, g);
          gc[1][1] = _mm512_maskz_mov_ps(c11, g);
          __m512* sc = sums[c];
          sc[9] = _mm512_add_ps(sc[9], g);
          for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) {
              __m512 t = sc[3 * i + j];
              for (int dr = 0; dr < 2; ++dr)
                for (int dc = 0; dc < 2; ++dc) t = _mm512_fmadd_ps(gc[dr][dc], v[dr + i][dc + j], t);
              sc[3 * i + j] = t;
            }
        }
      }
    for (int64_t c = 0; c < nk; ++c) {
      float* a = acc + (k0 + c) * 10 * 16;
      for (int e = 0; e < 10; ++e) _mm512_storeu_ps(a + 16 * e, _mm512_add_ps(_mm512_loadu_ps(a + 16 * e), sums[c][e]));
    }
  }
  return true;
}

}  // namespace

bool conv_pool_backward_avx512(const ConvPoolShape& s, const float* planes, const float* dy, const float* relu_y,
                               const int32_t* idx, float* acc) {
  return relu_y ? backward_planes<true>(s, planes, dy, relu_y, idx, acc)
                : backward_planes<false>(s, planes, dy, nullptr, idx, acc);
}

}  // namespace nn::cpu
