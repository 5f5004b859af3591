// Philox fills. Each element's value depends only on (seed, offset, index), so results do not
// depend on the thread count or on the backend.
#include <algorithm>
#include <utility>
#include <vector>

#include "../core/thread_pool.h"
#include "../kernels/philox.h"
#include "cpu_backend.h"

namespace nn {

void CpuBackend::rand_uniform(float* y, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  parallel_for(n, 1 << 14, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] = philox_uniform_at(seed, offset, i, lo, hi);
  });
}

void CpuBackend::rand_normal(float* y, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  parallel_for(n, 1 << 14, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] = philox_normal_at(seed, offset, i, mean, std);
  });
}

void CpuBackend::rand_bernoulli(float* y, int64_t n, uint64_t seed, uint64_t offset, float p) {
  parallel_for(n, 1 << 14, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) y[i] = philox_uniform_at(seed, offset, i, 0.f, 1.f) < p ? 1.f : 0.f;
  });
}

void CpuBackend::rand_permutation(int32_t* y, int64_t n, uint64_t seed, uint64_t offset) {
  // Indices ordered by (philox word, index): ties between equal words keep index order, which
  // makes the result a well-defined function of (seed, offset) on every backend. A stable LSD
  // radix sort on the words, starting from index order, gives exactly that order in three
  // linear passes (a comparison sort of a shuffled epoch's 10k keys cost more than the rest of
  // the epoch's bookkeeping).
  constexpr int kBits = 11, kPasses = 3;  // 33 bits >= the 32-bit word
  constexpr size_t kBuckets = size_t(1) << kBits;
  std::vector<uint64_t> keys(static_cast<size_t>(n)), tmp(static_cast<size_t>(n));
  std::vector<size_t> counts(kPasses * kBuckets, 0);
  const auto digit = [](uint64_t key, int pass) {
    return static_cast<size_t>(key >> (32 + pass * kBits)) & (kBuckets - 1);
  };
  for (int64_t i0 = 0; i0 < n; i0 += 4) {  // one philox block gives the words of four indices
    const Philox4 words = philox4x32_10(seed, offset + static_cast<uint64_t>(i0 / 4));
    for (int64_t i = i0; i < std::min(n, i0 + 4); ++i) {
      keys[i] = (static_cast<uint64_t>(words.v[i - i0]) << 32) | static_cast<uint64_t>(i);
      for (int p = 0; p < kPasses; ++p) ++counts[p * kBuckets + digit(keys[i], p)];
    }
  }
  for (int p = 0; p < kPasses; ++p) {
    size_t* c = counts.data() + p * kBuckets;
    size_t start = 0;
    for (size_t b = 0; b < kBuckets; ++b) start += std::exchange(c[b], start);
    for (const uint64_t key : keys) tmp[c[digit(key, p)]++] = key;
    keys.swap(tmp);
  }
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(keys[i] & 0xffffffffu);
}

}  // namespace nn
