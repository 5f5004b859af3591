// 64-byte aligned float buffers for packed GEMM operands and conv scratch (read with aligned
// loads). Allocated by the calling thread before a parallel region: std::bad_alloc must surface
// as an OutOfMemory error, never escape a worker thread.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

namespace nn::cpu {

class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(int64_t n) {
    const size_t bytes = (static_cast<size_t>(n > 0 ? n : 1) * sizeof(float) + 63) / 64 * 64;
    p_ = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!p_) throw std::bad_alloc();
  }
  ~AlignedFloats() { std::free(p_); }
  AlignedFloats(AlignedFloats&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  AlignedFloats& operator=(AlignedFloats&& o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
  float* get() const { return p_; }

 private:
  float* p_ = nullptr;
};

}  // namespace nn::cpu
