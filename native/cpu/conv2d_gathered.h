// conv2d passes whose GEMM operands are packed straight from x and dy (gather matrices,
// conv_gather.h): no column matrix, no copies of dy. AVX2 builds only; conv2d.cpp keeps the
// im2col paths for the portable kernels and the shapes these do not cover.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "conv_gather.h"
#include "conv_lowering.h"

namespace nn::cpu {

// Whether the gathered passes apply: AVX2, one group, stride 1, no padding (any dilation).
bool gathered_apply(const Conv2dArgs& a);

// Buffers of one task, allocated by the calling thread before the parallel region (an
// allocation failure must surface as an OutOfMemory error, never escape a worker thread).
struct GatherScratch {
  explicit GatherScratch(const ConvPlan& p);
  GatherScratch(const GatherScratch&) = delete;
  GatherScratch& operator=(const GatherScratch&) = delete;
  ~GatherScratch();
  int64_t kcb;  // most k steps (output positions) per block of the weight gradient
  std::vector<int64_t> xrow, dyrow, xcol, dycol;
  std::vector<LaneGroup> gx, gdy;
  float* a = nullptr;  // packed dy block
  float* b = nullptr;  // one packed panel of the lowered input
};

// acc[K, C*R*S] = sum over images [n0, n1) of dy_n [K, OH*OW] * lowered(x_n)^T (overwritten).
void backward_weight_gathered(const ConvPlan& p, const float* x, const float* dy, int64_t n0, int64_t n1, float* acc,
                              GatherScratch& s);

}  // namespace nn::cpu
