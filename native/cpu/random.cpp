// Philox fills. Each element's value depends only on (seed, offset, index), so results do not
// depend on the thread count or on the backend.
#include <algorithm>
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
  // Sort indices by (philox word, index): ties between equal words keep index order, which
  // makes the result a well-defined function of (seed, offset) on every backend.
  std::vector<uint64_t> keys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint32_t w = philox4x32_10(seed, offset + static_cast<uint64_t>(i / 4)).v[i % 4];
    keys[i] = (static_cast<uint64_t>(w) << 32) | static_cast<uint64_t>(i);
  }
  std::sort(keys.begin(), keys.end());
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<int32_t>(keys[i] & 0xffffffffu);
}

}  // namespace nn
