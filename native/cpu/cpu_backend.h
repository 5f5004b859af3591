// The CPU backend. Its methods are defined across native/cpu/, one file per op family, and one
// folder per family that has several algorithms or ISA variants: memory/ (buffers, arena),
// gemm/, conv/, pool/, optim/, knn/, simd/ (run-time ISA choice); random.cpp, batchnorm.cpp,
// elementwise.cpp, reduce.cpp, softmax.cpp, dropout.cpp, indexing.cpp, image.cpp.
#pragma once
#include "../backend.h"

namespace nn {

class CpuBackend final : public Backend {
 public:
  Device device() const override;
  std::string name() const override;
  MemoryStats memory_stats(bool reset_peak) override;
  void release_cache() override;
#define NN_KERNEL(ret, name, params) ret name params override;
#include "../ops.def"
  void* alloc(size_t bytes) override;
  void free(void* p, size_t bytes) override;
  void copy_from_host(void* dst, const void* src, size_t bytes) override;
  void copy_to_host(void* dst, const void* src, size_t bytes) override;
  void copy_within(void* dst, const void* src, size_t bytes) override;
  bool conv2d_maxpool_forward(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* x, const float* w,
                              const float* bias, float* y, int32_t* indices) override;
  bool conv2d_maxpool_backward_params(const Conv2dArgs& conv, const Pool2dArgs& pool, const float* dy,
                                      const int32_t* indices, const float* x, float* dw, float* db) override;
};

}  // namespace nn
