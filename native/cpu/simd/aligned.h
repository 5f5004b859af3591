// 64-byte aligned float buffers for packed GEMM operands and conv scratch (read with aligned
// loads), taken from the CPU backend's allocator, whose cache hands large blocks of a repeated
// size straight back (a training step asks for the same scratch every iteration; fresh pages
// would be faulted in and zeroed each time). Allocated by the calling thread before a parallel
// region: an OutOfMemory error must never escape a worker thread.
#pragma once
#include <cstdint>
#include <utility>

#include "../../backend.h"

namespace nn::cpu {

class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(int64_t n)
      : bytes_((static_cast<size_t>(n > 0 ? n : 1) * sizeof(float) + 63) / 64 * 64),
        p_(static_cast<float*>(cpu_backend().alloc(bytes_))) {}
  ~AlignedFloats() {
    if (p_) cpu_backend().free(p_, bytes_);
  }
  AlignedFloats(AlignedFloats&& o) noexcept : bytes_(o.bytes_), p_(std::exchange(o.p_, nullptr)) {}
  AlignedFloats& operator=(AlignedFloats&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  float* get() const { return p_; }

 private:
  size_t bytes_ = 0;
  float* p_ = nullptr;
};

}  // namespace nn::cpu
