// The CUDA backend. Its methods are defined across cuda/*.cu, one file per op family, named as
// the CPU backend's (native/cpu/) and the binding's: memory.cu (memory, fills, casts, strided
// copy), random.cu, elementwise.cu, reduce.cu, softmax.cu, gemm.cu, conv.cu, pool.cu,
// batchnorm.cu, dropout.cu, indexing.cu, optim.cu, knn.cu, image.cu; kernel bodies live in
// cuda/kernels/<family>.cuh. The same sources build with nvcc for real GPUs and with g++ over
// the simulator in cuda/sim/ (NNLAB_CUDA_SIM).
// Pointers passed to these methods are device pointers; host arrays (ParamSlot lists, ...) are
// copied to the device or read on the host as the method says.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../native/backend.h"

namespace nn {

class CudaBackend final : public Backend {
 public:
#include "../native/backend_overrides.inc"
  void synchronize() override;

  // Scratch device memory for the duration of one op (from the caching allocator).
  struct Scratch {
    Scratch(CudaBackend& b, size_t bytes) : b_(b), bytes_(bytes), p_(b.alloc(bytes ? bytes : 4)) {}
    ~Scratch() { b_.free(p_, bytes_ ? bytes_ : 4); }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    template <typename T>
    T* as() const {
      return static_cast<T*>(p_);
    }

   private:
    CudaBackend& b_;
    size_t bytes_;
    void* p_;
  };
};

namespace cuda {
// Raw device allocation and release under the caching allocator (memory.cu).
void* raw_alloc(size_t bytes);  // nullptr when the device is out of memory
void raw_free(void* p);
// Bytes held by the caching allocator, and its release (tests, memory pressure).
size_t cached_bytes();
// C = alpha * op(A) * op(B) + beta * C on the device (gemm.cu), for the ops built on GEMM.
void launch_gemm(const GemmArgs& g, const float* A, const float* B, float* C);
void release_cache();
}  // namespace cuda

}  // namespace nn
