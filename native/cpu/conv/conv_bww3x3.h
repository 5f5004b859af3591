// Weight gradient of 3x3, stride-1 convolutions without GEMM packing (conv_bww3x3.cpp drives,
// the _avx2 / _avx512 files compute). dW_g[k, (c, r, s)] = sum over positions of
// dy[k, pos] * x[c, pos + (r, s)]: the lowered input is never packed. A tile is the 9 taps of one
// input channel by 16 or 32 output channels; each tap's input is broadcast straight from the
// (padded) image, and dy, transposed once per block of images (position-major, so a position's
// output channels are one vector load), serves every channel of the group. The gathered GEMM
// (conv2d_gathered.h) instead packs a 16-tap panel of the lowered input for every 64 output
// channels it multiplies, which cost it a third of its time on the seed CNN's conv2.
#pragma once
#include <cstdint>

#include "../simd/aligned.h"
#include "conv2d_gathered.h"
#include "conv_lowering.h"

namespace nn::cpu {

// AVX2; 3x3, stride 1, no dilation, any padding; at least 16 output channels per group (a
// transposed dy row is padded to a multiple of 16); one image's transposed dy within 16 MB.
bool bww3x3_apply(const Conv2dArgs& a);

// Per-task buffers, allocated by the calling thread before the parallel region.
struct Bww3x3Scratch {
  explicit Bww3x3Scratch(const ConvPlan& p);
  int64_t kp;         // floats per position of the transposed dy (kg rounded up to 16)
  int64_t imgs;       // images per block
  AlignedFloats dyt;  // [imgs * OH*OW, kp]
};

// acc[K, C/groups*9] = sum over images [n0, n1) of the weight gradient (overwritten). Each
// element is summed over a block's positions in order (image, oh, ow) from zero, then added to
// acc block by block: the same operations on every ISA, so AVX2 and AVX-512 agree bit for bit.
void backward_weight_3x3(const ConvPlan& p, const LoweredInput& x, const float* dy, int64_t n0, int64_t n1, float* acc,
                         Bww3x3Scratch& s);

// ---- kernels (called after the CPU checks) ----
// One tile: out[tap * kw + l] (tap = r*3 + s, l < kw, kw 16 or 32) = sum over the block's positions
// (image n < nimg, oh, ow) of x[n*img + oh*roww + ow + r*roww + s] * dyt[pos*ldt + l], where x
// points at the channel's plane in the block's first image and dyt at the tile's first column.
struct Bww3x3Tile {
  const float* x;
  int64_t roww, img;
  const float* dyt;
  int64_t ldt, nimg, oh, ow;
};
void bww3x3_tile_avx2(const Bww3x3Tile& t, int kw, float* out);
// dst[q * ldd + k] = src[k * q_n + q] for q < q_n, k < k_n, and 0 for k_n <= k < ldd (ldd a multiple
// of 16): one image's dy of a group, position-major.
void bww3x3_transpose_avx2(const float* src, int64_t k_n, int64_t q_n, float* dst, int64_t ldd);
void bww3x3_transpose_avx512(const float* src, int64_t k_n, int64_t q_n, float* dst, int64_t ldd);
void bww3x3_tile_avx512(const Bww3x3Tile& t, int kw, float* out);

}  // namespace nn::cpu
