// Philox fills and the seeded permutation (kernels/elementwise.cuh), the same streams as the CPU.
#include "cuda_backend.h"
#include "kernels/elementwise.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

void CudaBackend::rand_uniform(float* y, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  if (n > 0) NN_LAUNCH(rand_uniform_kernel, blocks_for(n), threads_for(n), y, n, seed, offset, lo, hi);
}

void CudaBackend::rand_normal(float* y, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  if (n > 0) NN_LAUNCH(rand_normal_kernel, blocks_for(n), threads_for(n), y, n, seed, offset, mean, std);
}

void CudaBackend::rand_bernoulli(float* y, int64_t n, uint64_t seed, uint64_t offset, float p) {
  if (n > 0) NN_LAUNCH(rand_bernoulli_kernel, blocks_for(n), threads_for(n), y, n, seed, offset, p);
}

// The stable argsort of Philox words: keys (word << 32 | index) are unique, so any correct sort
// gives the CPU's order. A bitonic network over the keys padded to a power of two.
void CudaBackend::rand_permutation(int32_t* y, int64_t n, uint64_t seed, uint64_t offset) {
  if (n <= 0) return;
  int64_t m = 1;
  while (m < n) m <<= 1;
  Scratch keys(*this, static_cast<size_t>(m) * sizeof(uint64_t));
  uint64_t* k = keys.as<uint64_t>();
  if (m > n) NN_LAUNCH(fill_kernel<uint64_t>, blocks_for(m - n), threads_for(m - n), k + n, m - n, ~uint64_t(0));
  NN_LAUNCH(permutation_keys_kernel, blocks_for(n), threads_for(n), k, n, seed, offset);
  for (int64_t size = 2; size <= m; size <<= 1)
    for (int64_t j = size / 2; j > 0; j >>= 1)
      NN_LAUNCH(bitonic_step_kernel, blocks_for(m / 2), threads_for(m / 2), k, m, size, j);
  NN_LAUNCH(permutation_extract_kernel, blocks_for(n), threads_for(n), k, y, n);
}

}  // namespace nn
