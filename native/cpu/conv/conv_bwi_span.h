// Backward-input of stride-1, unpadded convolutions as a transposed product on the output
// positions themselves (no zero columns), each tile laid out on dx's rows in registers.
//
// dcol = W^T dy with rows (tap, c) taken tap-major and columns an image's output positions, 32 at
// a time (a pair of 16-column panels; the last pair of an image may be partial). Row (tap, c) of
// position (oh, ow) adds into dx[c, oh + r, ow + s]: the row's offset plus the column's, so the 32
// columns of a tile row land on one span of consecutive dx addresses with a few gaps (the W - OW
// elements between two output rows). Each tile row is spread onto its span with one two-source
// permute per 16 floats (zeros in the gaps) and added with whole-vector loads, adds and stores,
// as many as the span needs (three for the seed CNN's 11x11 outputs on 13x13 inputs). The
// gathered kernel (conv2d_gathered.h) instead lays dy on the input's row width, multiplying zero
// columns: 18% more products for that shape. Gaps add zeros to elements that get their own
// contribution elsewhere; the span never reaches past the last position's element, so no add
// leaves the plane. AVX-512 only.
#pragma once
#include <cstdint>

#include "../../backend.h"

namespace nn::cpu {

// Where a tile's 32 columns go on their span: span vector v, lane l takes column idx[v][l] of
// [panel 0 | panel 1] where zmask[v] has bit l (zero elsewhere), and adds into the lanes of smask[v].
constexpr int kMaxSpanVectors = 3;
struct BwiSpan {
  alignas(64) int32_t idx[kMaxSpanVectors][16];
  uint16_t zmask[kMaxSpanVectors], smask[kMaxSpanVectors];
  int nvec;
};

// rows[r][0, 16 * span.nvec) += the span of (A * [b0 | b1])[r] for 12 rows: A is two packed
// micro-panels (gemm.h layout) a_step floats apart, b0 and b1 two packed 16-column panels of kc
// steps. Rows are added in order.
void bwi_span_tile_avx512(int64_t kc, const float* a, int64_t a_step, const float* b0, const float* b1,
                          float* const* rows, const BwiSpan& span);

// Whether the algorithm applies: AVX-512, stride 1, no padding, one group, C*R*S a multiple of 12,
// K <= 256, and every 32 consecutive output positions of an image within 48 consecutive elements
// of a dx plane.
bool bwi_span_apply(const Conv2dArgs& a);
// dx (overwritten).
bool bwi_span(const Conv2dArgs& a, const float* dy, const float* w, float* dx);

}  // namespace nn::cpu
