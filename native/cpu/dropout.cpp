// Dropout with a Philox mask: element i is kept when philox_uniform_at(seed, offset, i, 0, 1) >= p,
// the stream rand_uniform uses, so every backend and thread count draws the same mask.
#include "../core/thread_pool.h"
#include "../kernels/philox.h"
#include "cpu_backend.h"

namespace nn {

void CpuBackend::dropout(const float* x, float* y, uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset) {
  const float scale = 1.f / (1.f - p);
  const int64_t nblocks = (n + 3) / 4;
  // One Philox block feeds four consecutive elements, so work is split on block boundaries.
  parallel_for(nblocks, 1 << 12, [=](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) dropout_block(x, y, mask, n, p, scale, seed, offset, b);
  });
}

void CpuBackend::dropout_backward(const float* dy, const uint8_t* mask, float* dx, int64_t n, float p) {
  const float scale = 1.f / (1.f - p);
  parallel_for(n, 1 << 14, [=](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) dx[i] = mask[i] ? dy[i] * scale : 0.f;
  });
}

}  // namespace nn
