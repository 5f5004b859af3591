// A first convolution and its max pool in one pass over registers: 3x3 filters over one input
// channel per group (the seed CNN's conv1, and its stacked, grouped form for a batched
// ensemble), stride 1, no padding, then 2x2 / stride-2 max pooling. For a vector of pooled outputs
// (16 on AVX-512, 8 of a row on AVX2) the kernel makes each window's four convolution outputs
// (36 FMAs over the 4 input rows and 4 column phases the row needs) and keeps their maximum and
// its index. Backward rebuilds, from the pooling indices, which of the four outputs each pooled
// gradient belongs to and accumulates the 9 weight gradients and the bias gradient from the
// same inputs. The convolution's output never exists. Same tie and NaN rule as the pooling
// kernels (kernels/pool.h): a later cell of the window wins when strictly greater or NaN.
#pragma once
#include <cstdint>

namespace nn::cpu {

struct ConvPoolShape {
  int64_t h, w;    // input plane
  int64_t oh, ow;  // convolution output (h - 2, w - 2)
  int64_t ph, pw;  // pooled output (oh / 2, ow / 2)
  int64_t kg;      // output channels per group (= per input channel)
};

// The input plane x [h, w] split by column parity, as the kernels read it: row r's even columns
// at out + 2r * len, its odd ones at out + (2r + 1) * len, len = conv_pool_phase_len(s) (zero
// padded, so a vector load at any pooled column of a row stays inside it). out holds 2 * h * len.
int64_t conv_pool_phase_len(const ConvPoolShape& s);
void conv_pool_deinterleave(const ConvPoolShape& s, const float* x, float* out);

// The input plane x [h, w] as the AVX-512 forward reads it: 16 quadrant planes, plane (a, b) for
// a, b in 0..3 holding x[2py + a][2px + b] at py * pw + px, each conv_pool_quadrant_len(s) long.
// A vector of 16 pooled outputs then spans rows (169 outputs of a 13x13 plane fill 11 vectors, not
// 13 rows of 13 lanes of 16), and window cell (dr, dc)'s tap (i, j) is plane (dr + i, dc + j). The
// tail of each plane past ph * pw is never written: zero it once when the buffer is made.
int64_t conv_pool_quadrant_len(const ConvPoolShape& s);
void conv_pool_quadrants(const ConvPoolShape& s, const float* x, float* out);
// The index of each pooled output's first window cell in the convolution plane, 2py * ow + 2px, at
// py * pw + px: conv_pool_quadrant_len(s) entries (the tail's are never stored).
void conv_pool_corners(const ConvPoolShape& s, int32_t* out);

// One (image, group) plane: y and idx [kg, ph, pw] for the group's kg output channels, with weights
// w [kg, 3, 3] and bias [kg] (may be null). The AVX2 kernel reads the de-interleaved plane; the
// AVX-512 kernel the quadrant planes and corners (conv_pool_corners; both only read when idx is
// not null: without indices only the maximum is kept), and with relu it stores relu of each
// maximum, as the relu op computes it. Both make each output with the same operations: the same bits.
void conv_pool_forward_avx512(const ConvPoolShape& s, const float* quadrants, const int32_t* corners, const float* w,
                              const float* bias, float* y, int32_t* idx, bool relu);
void conv_pool_forward_avx2(const ConvPoolShape& s, const float* planes, const float* w, const float* bias, float* y,
                            int32_t* idx);

// Backward for the same plane: adds to acc [kg, 10, 16] the lane sums of the 9 weight gradients
// and the bias gradient of every output channel (reduce the 16 lanes once at the end; the AVX2
// kernel fills 8 of them). relu_y (may be null): the forward's output when it applied relu; a
// pooled gradient is then taken as zero where relu_y <= 0, as relu's backward gives it. Returns
// false when an index lies outside its own window (only caller-made indices can), acc then
// partly updated.
bool conv_pool_backward_avx512(const ConvPoolShape& s, const float* planes, const float* dy, const float* relu_y,
                               const int32_t* idx, float* acc);
bool conv_pool_backward_avx2(const ConvPoolShape& s, const float* planes, const float* dy, const float* relu_y,
                             const int32_t* idx, float* acc);

}  // namespace nn::cpu

namespace nn {
struct Conv2dArgs;
struct Pool2dArgs;
namespace cpu {
// True for the shapes above on a CPU with AVX2 (NNLAB_NO_CONV_POOL_KERNEL=1 turns it off).
bool conv_pool_direct_apply(const Conv2dArgs& c, const Pool2dArgs& p);
}  // namespace cpu
}  // namespace nn
