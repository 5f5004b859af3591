// Convolutions on small feature maps with large batches (ResNet's 8x8 .. 1x1 stages at batch
// 512). There an image has few output positions but a padded 3x3 kernel reads padding for many
// of them (5 of 9 taps on a 2x2 map, 8 of 9 on 1x1), so lowering image by image would spend most
// multiply-adds on zeros. Instead the activations are transposed so the batch is innermost
// ([C*H*W, N]), and each output position (or, for the input gradient, each input pixel) is one
// product over the images that takes only its valid taps:
//   y[:, :, q]  = sum over taps t valid at q of  W_t [K, C] * x[:, :, src(q, t)]^T   (M = K)
//   dx[:, :, p] = sum over (t, q) reaching p of  W_t^T [C, K] * dy[:, :, q]^T       (M = C)
//   dW_t        = sum over q where t is valid of dy[:, :, q]^T * x[:, :, src(q, t)]  (k = images)
// The operand rows are whole rows of the transposed activations, copied into packed panels
// with no index arithmetic per element. Any stride, padding and dilation; one group.
#pragma once
#include "../../backend.h"

namespace nn::cpu {

// Whether these kernels apply: one group, at most 64 output positions per image (8x8: beyond,
// the transposes cost more than the skipped taps save), a batch of at least 32 (panels of 16
// images) and at least 16 input and output channels (each tap's piece of k is a channel count).
bool small_maps_apply(const Conv2dArgs& a);

void small_maps_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y);
void small_maps_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx);
void small_maps_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw);

}  // namespace nn::cpu
