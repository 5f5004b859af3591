// Convolutions with the batch in the SIMD lanes, for few channels and small images (the audio
// CNN of seed 003: Conv(1->10, 7x7, stride 3) and Conv(10->10, 5x5, stride 2) at batch 16). x, dy
// and the results are transposed once per call into [block][C][H][W][16] planes, 16 images per
// lane block (a short last block has zero lanes); every product step is then one aligned vector
// load and fused multiply-adds with broadcast weights, with no lowered panels to pack (the GEMM
// paths repack each input pixel once per tap, which costs more than the products at these sizes).
// Each output (or weight-gradient element) is summed by one thread in a fixed order, so results
// do not depend on the thread count. AVX-512 only (conv_lanes_avx512.cpp); the order of the sums
// differs from the GEMM paths, so bits differ from them by rounding.
#pragma once
#include "../../backend.h"

namespace nn::cpu {

// AVX-512, one group, no padding or dilation, <= 16 channels in and out, <= 256 products per
// output, at least 8 images, and a lane-block of the input within 1 MB.
bool lanes_apply(const Conv2dArgs& a);

void lanes_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y);
void lanes_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx);
void lanes_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw);

}  // namespace nn::cpu
