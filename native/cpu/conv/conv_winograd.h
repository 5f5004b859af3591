// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016):
// each 2x2 output tile is A^T [ (G g G^T) . (B^T d B) ] A over its 4x4 input patch d, so the
// products over channels become 16 GEMMs (one per element xi of the 4x4 transform domain) of
// K x C weights U_xi by C x tiles inputs V_xi: 16 multiply-adds per 4 outputs per channel pair
// instead of 36, 2.25x fewer. The transforms use only 0, +-1 and 1/2, so rounding stays close
// to the direct sum's (errors of a few ulps of the operands' magnitude).
//
// A task transforms a chunk of its images at a time: each plane of a zero-padded copy of x, a
// row of tiles at a time with contiguous loads, into V; then the chunk's tiles are taken 16 at
// a time (one packed GEMM panel), the 16 products run on weights transformed and packed once
// per call, and the output transform writes each tile's 2x2 outputs (clipped at odd edges). With groups,
// each group is its own convolution on its own channel bands.
//
// The input gradient of such a convolution is again one: dx = conv(dy, w flipped and
// transposed, padding 2 - pad), so it runs on the same code.
#pragma once
#include <cstdint>

#include "../../backend.h"

namespace nn::cpu {

// AVX2, 3x3, stride 1, no dilation, padding <= 2, at least 32 input and 64 output channels per
// group (the GEMMs' k and m: below, the transforms cost more than the product saves), outputs of
// at least 4x4 whose 2x2 tiles overhang the map by at most 10%, and at least 128 tiles in all.
bool winograd_apply(const Conv2dArgs& a);
// The same for the input gradient (the transposed convolution's shape).
bool winograd_input_apply(const Conv2dArgs& a);

// Both return false, writing nothing, when an input or weight is not finite: the transforms
// subtract inputs, so inf would become NaN where the direct sum keeps inf; the caller then takes
// another path.
bool winograd_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y);
bool winograd_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx);

// ---- AVX2 panel kernels (conv_winograd_avx2.cpp), called after the checks above ----
// V of one padded plane (rows wp apart, 16 floats readable past its end), th x tw tiles:
// v[xi * ld + ty * tw + tx]; writes up to 7 floats past each row of tiles and past the last.
void winograd_input_plane_avx2(const float* plane, int64_t wp, int64_t th, int64_t tw, float* v, int64_t ld);
// One packed panel (16 tiles from t0) of V laid out as v[(c * 16 + xi) * ld + t]:
// vp[(xi * channels + c) * 16 + l].
void winograd_pack_panel_avx2(const float* v, int64_t ld, int64_t channels, int64_t t0, float* vp);
// Output transform of one panel from mp[(xi * kchan + k) * 16 + l]: the 2x2 outputs (plus
// bias[k], bias may be null) of its 16 tiles, out[(k * 4 + q) * ldo + l] for q = (0,0), (0,1),
// (1,0), (1,1).
void winograd_output_panel_avx2(const float* mp, int64_t kchan, const float* bias, float* out, int64_t ldo);
// One output plane y [oh, ow] from its th x tw tiles' outputs tiles[q * ldo + ty * tw + tx]
// (clipped at an odd edge; reads up to 7 floats past each row of tiles).
void winograd_store_plane_avx2(const float* tiles, int64_t ldo, int64_t th, int64_t tw, float* y, int64_t oh,
                               int64_t ow);

}  // namespace nn::cpu
