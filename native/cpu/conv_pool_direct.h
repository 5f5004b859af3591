// A first convolution and its max pool in one pass over registers (conv_pool_direct_avx512.cpp):
// 3x3 filters over one input channel per group (the seed CNN's conv1, and its stacked, grouped
// form for a batched ensemble), stride 1, no padding, then 2x2 / stride-2 max pooling. Each
// step loads the 4 input rows and 4 column phases a row of up to 16 pooled outputs needs (16
// vectors, kept in registers), then for every output channel of the group makes the window's
// four convolution outputs (36 FMAs, weights broadcast from memory) and keeps their maximum and
// its index. Backward rebuilds, from the pooling indices, which of the four outputs each pooled
// gradient belongs to and accumulates the 9 weight gradients and the bias gradient from the
// same 16 input vectors. The convolution's output never exists. Same tie and NaN rule as the
// pooling kernels (kernels/pool.h): a later cell of the window wins when strictly greater or NaN.
#pragma once
#include <cstdint>

namespace nn::cpu {

struct ConvPoolShape {
  int64_t h, w;    // input plane
  int64_t oh, ow;  // convolution output (h - 2, w - 2)
  int64_t ph, pw;  // pooled output (oh / 2, ow / 2)
  int64_t kg;      // output channels per group (= per input channel)
};

// Floats of per-thread scratch the kernels need: the de-interleaved input plane.
int64_t conv_pool_scratch_floats(const ConvPoolShape& s);

// One input plane x [h, w] of one image and group: y and idx [kg, ph, pw] for the group's kg
// output channels, with weights w [kg, 3, 3] and bias [kg] (may be null).
void conv_pool_forward_avx512(const ConvPoolShape& s, const float* x, const float* w, const float* bias, float* y,
                              int32_t* idx, float* scratch);

// Backward for the same plane: adds to acc [kg, 10, 16] the lane sums of the 9 weight gradients
// and the bias gradient of every output channel (reduce the 16 lanes once at the end). Returns
// false when an index lies outside its own window (only caller-made indices can), acc then
// partly updated.
bool conv_pool_backward_avx512(const ConvPoolShape& s, const float* x, const float* dy, const int32_t* idx, float* acc,
                               float* scratch);

}  // namespace nn::cpu

namespace nn {
struct Conv2dArgs;
struct Pool2dArgs;
namespace cpu {
// True for the shapes above on a CPU with AVX-512 (NNLAB_NO_CONV_POOL_KERNEL=1 turns it off).
bool conv_pool_direct_apply(const Conv2dArgs& c, const Pool2dArgs& p);
}  // namespace cpu
}  // namespace nn
