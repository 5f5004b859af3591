// Stride-1 convolutions by output-row tiles, without packing the input (conv_rows.cpp drives,
// the _avx2 / _avx512 files compute). A tile is up to 12 consecutive outputs of one row by 32 or
// 16 output channels: each product step (c, r, s) loads that step's weights for the tile's
// channels (one or two vectors) and broadcasts the input under each of the tile's outputs (one
// scalar load each, straight from the image), so no lowered panel is ever packed and no output
// is computed only to be thrown away. Outputs come out position-major into a per-image scratch,
// transposed to [K, OH*OW] by gathers.
// Not used for the input gradient: as a convolution over dy padded by R-1-pad it multiplies 40%
// more terms (the padding's zeros) on the seed CNN's conv2, and came out 1.6x slower than the
// gathered product (conv2d_gathered.h).
#pragma once
#include <cstdint>

#include "../../backend.h"

namespace nn::cpu {

// AVX2; stride 1; >= 16 output channels and >= 32 products per output (C/groups*R*S) per group;
// output rows of >= 4; a group's (padded) image within 256 KB and its outputs within 16 MB.
bool rows_forward_apply(const Conv2dArgs& a);

void rows_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y);

// The same convolution max pooled 2x2 with stride 2 (p: the pool over its output), then relu
// when asked, each image's outputs pooled straight from the tiles' scratch: y is [N, K, p.oh,
// p.ow] and the convolution's output never goes to memory as planes. Values: the pooling's of
// rows_forward's output bit for bit. AVX-512 only (rows_forward_pooled_apply).
bool rows_forward_pooled_apply(const Conv2dArgs& a, const Pool2dArgs& p);
void rows_forward_pooled(const Conv2dArgs& a, const Pool2dArgs& p, const float* x, const float* w, const float* bias,
                         float* y, bool relu);

// ---- kernels (called after the CPU checks) ----
// out[i * ldo + l] = bias[l] (0 without bias) + sum over j < J of x[off[j] + i] * w[j * ldw + l],
// one fused multiply-add per j in order, for outputs i < npos (<= 12) and channels l < kw (16 or 32).
struct RowTile {
  const float* x;
  const int64_t* off;
  int64_t J;
  const float* w;
  int64_t ldw;
  const float* bias;
  float* out;
  int64_t ldo;
  int npos, kw;
  // Whether the steps come in runs of three consecutive input offsets (off[3m + 1] = off[3m] + 1,
  // off[3m + 2] = off[3m] + 2: a 3-wide kernel row, undilated), which the AVX-512 tile uses to
  // load each input once per run instead of once per step.
  bool runs3 = false;
};
void rows_tile_avx2(const RowTile& t);
void rows_tile_avx512(const RowTile& t);
// dst[k * q_n + q] = src[q * lds + k] for k < k_n, q < q_n: a position-major scratch into planes.
void rows_unpack_avx2(const float* src, int64_t lds, int64_t k_n, int64_t q_n, float* dst);
void rows_unpack_avx512(const float* src, int64_t lds, int64_t k_n, int64_t q_n, float* dst);
// dst[k * ph * pw + p] = the 2x2 max (then relu when asked) of the scratch's positions under
// pooled output p of an [oh, ow] output (oh >= 2 * ph, ow >= 2 * pw), for k < k_n.
void rows_pool_unpack_avx512(const float* src, int64_t lds, int64_t k_n, int64_t ow, int64_t ph, int64_t pw, bool relu,
                             float* dst);

}  // namespace nn::cpu
