// The CPU backend. Its methods are defined across native/cpu/, one file per op family, and one
// folder per family that has several algorithms or ISA variants: memory/ (buffers, arena),
// gemm/, conv/, pool/, optim/, knn/, simd/ (run-time ISA choice); random.cpp, batchnorm.cpp,
// elementwise.cpp, reduce.cpp, softmax.cpp, dropout.cpp, indexing.cpp, image.cpp.
#pragma once
#include "../backend.h"

namespace nn {

class CpuBackend final : public Backend {
 public:
#include "../backend_overrides.inc"
  bool conv2d_maxpool_forward(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* x, const float* w,
                              const float* bias, float* y, int32_t* indices, bool relu) override;
  bool conv2d_maxpool_backward_params(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                                      const float* relu_y, const int32_t* indices, const float* x, float* dw,
                                      float* db) override;
  bool conv2d_maxpool_backward_all(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                                   const int32_t* indices, const float* x, const float* w, float* dx, float* dw,
                                   float* db) override;
  bool conv2d_maxpool_forward_values(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* x, const float* w,
                                     const float* bias, float* y, bool relu) override;
  bool maxpool2d_forward_values(const Pool2dArgs& a, const float* x, float* y, bool relu) override;
};

}  // namespace nn
