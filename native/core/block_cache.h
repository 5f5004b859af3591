// Freed device buffers kept by exact size and handed out again. A training step allocates the
// same activation and gradient sizes every iteration; reusing them avoids fresh page faults on
// the CPU and synchronising cudaMalloc/cudaFree calls on the GPU. Both backends use this class.
#pragma once
#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace nn {

class BlockCache {
 public:
  // cap: the most bytes held at once (give() refuses beyond it).
  explicit BlockCache(size_t cap = SIZE_MAX) : cap_(cap) {}

  // A cached block of exactly `bytes`, or nullptr.
  void* take(size_t bytes) {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = free_.find(bytes);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= bytes;
    return p;
  }

  // Keeps p for reuse; false when the cache is full (the caller frees it).
  bool give(void* p, size_t bytes) {
    std::lock_guard<std::mutex> lk(mu_);
    if (cached_ + bytes > cap_) return false;
    free_[bytes].push_back(p);
    cached_ += bytes;
    return true;
  }

  // Frees every cached block with `release`.
  template <typename Release>
  void drain(Release release) {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& kv : free_)
      for (void* p : kv.second) release(p);
    free_.clear();
    cached_ = 0;
  }

  size_t cached() {
    std::lock_guard<std::mutex> lk(mu_);
    return cached_;
  }

 private:
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
  const size_t cap_;
};

}  // namespace nn
