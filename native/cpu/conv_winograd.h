// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016):
// each 2x2 output tile is A^T [ (G g G^T) . (B^T d B) ] A over its 4x4 input patch d, so the
// products over channels become 16 GEMMs (one per element xi of the 4x4 transform domain) of
// K x C weights U_xi by C x tiles inputs V_xi: 16 multiply-adds per 4 outputs per channel pair
// instead of 36, 2.25x fewer. The transforms use only 0, +-1 and 1/2, so rounding stays close
// to the direct sum's (errors of a few ulps of the operands' magnitude).
//
// Tiles are numbered across a task's images and taken 16 at a time (one packed GEMM panel):
// the input transform gathers each panel's patches from a zero-padded copy of x straight into
// packed panels, the 16 products run on weights transformed and packed once per call, and the
// output transform writes each tile's 2x2 outputs (clipped at odd edges) into y. With groups,
// each group is its own convolution on its own channel bands.
//
// The input gradient of such a convolution is again one: dx = conv(dy, w flipped and
// transposed, padding 2 - pad), so it runs on the same code.
#pragma once
#include <cstdint>

#include "../backend.h"

namespace nn::cpu {

// AVX2, 3x3, stride 1, no dilation, padding <= 2, at least 64 input and output channels per
// group (the GEMMs' k and m: below, the transforms cost more than the product saves), outputs
// of at least 4x4, and a padded input addressable with 32-bit offsets.
bool winograd_apply(const Conv2dArgs& a);
// The same for the input gradient (the transposed convolution's shape).
bool winograd_input_apply(const Conv2dArgs& a);

// Both return false, writing nothing, when an input or weight is not finite: the transforms
// subtract inputs, so inf would become NaN where the direct sum keeps inf; the caller then takes
// another path.
bool winograd_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y);
bool winograd_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx);

// ---- AVX2 panel kernels (conv_winograd_avx2.cpp), called after the checks above ----
// V for one panel of 16 tiles and `channels` channels: lane l's patch starts at
// base + c*plane + off[l] and has rows roww apart; vp[(xi * channels + c) * 16 + l].
void winograd_input_panel_avx2(const float* base, int64_t plane, int64_t roww, const int32_t* off, int64_t channels,
                               float* vp);
// Outputs of one panel from mp[(xi * kchan + k) * 16 + l]: lane l < nlanes writes channel k's
// tile at y + ybase[l] + k*ohw (rows ow apart), its right column when mask[l] & 1 and its
// bottom row when mask[l] & 2; bias (per k) may be null.
void winograd_output_panel_avx2(const float* mp, int64_t kchan, const float* bias, float* y, const int64_t* ybase,
                                const uint8_t* mask, int nlanes, int64_t ohw, int64_t ow);

}  // namespace nn::cpu
