// Direct (no GEMM) convolution kernels for shapes a GEMM serves badly (conv_direct_avx2.cpp).
#pragma once
#include <cstdint>

namespace nn::cpu {

// One stride-1, unpadded convolution: x [N, C, H, W], dy [N, K, OH, OW], w [K, C, R, S]; or one
// group of a grouped one, whose x and dy images hold x_channels >= C and dy_channels >= K
// channels (the caller offsets x and dy to the group's band).
struct DirectConv {
  int64_t c, h, w, k, r, s, dil_h, dil_w, oh, ow;
  int64_t x_channels, dy_channels;
};

// dw = sum over images [n0, n1) of the weight gradient (overwritten), accumulated per lane over
// each image's kernel row and added to dw image by image. Returns false (dw untouched) for
// kernels wider than 5 taps. AVX2 only.
bool conv_bww_direct_avx2(const DirectConv& d, const float* x, const float* dy, int64_t n0, int64_t n1, float* dw);

}  // namespace nn::cpu
