// A first convolution and its max pool in one pass over registers: 3x3 filters over one input
// channel per group (the seed CNN's conv1, and its stacked, grouped form for a batched
// ensemble), stride 1, no padding, then 2x2 / stride-2 max pooling. For a row of pooled outputs
// (16 per step on AVX-512, 8 on AVX2) the kernel makes each window's four convolution outputs
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

// One (image, group) plane, de-interleaved: y and idx [kg, ph, pw] for the group's kg output
// channels, with weights w [kg, 3, 3] and bias [kg] (may be null). The AVX2 and AVX-512 kernels
// make each output with the same operations: the same bits.
void conv_pool_forward_avx512(const ConvPoolShape& s, const float* planes, const float* w, const float* bias, float* y,
                              int32_t* idx);
void conv_pool_forward_avx2(const ConvPoolShape& s, const float* planes, const float* w, const float* bias, float* y,
                            int32_t* idx);

// Backward for the same plane: adds to acc [kg, 10, 16] the lane sums of the 9 weight gradients
// and the bias gradient of every output channel (reduce the 16 lanes once at the end; the AVX2
// kernel fills 8 of them). Returns false when an index lies outside its own window (only
// caller-made indices can), acc then partly updated.
bool conv_pool_backward_avx512(const ConvPoolShape& s, const float* planes, const float* dy, const int32_t* idx,
                               float* acc);
bool conv_pool_backward_avx2(const ConvPoolShape& s, const float* planes, const float* dy, const int32_t* idx,
                             float* acc);

}  // namespace nn::cpu

namespace nn {
struct Conv2dArgs;
struct Pool2dArgs;
namespace cpu {
// True for the shapes above on a CPU with AVX2 (NNLAB_NO_CONV_POOL_KERNEL=1 turns it off).
bool conv_pool_direct_apply(const Conv2dArgs& c, const Pool2dArgs& p);
}  // namespace cpu
}  // namespace nn
