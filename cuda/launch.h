// The one way the CUDA backend launches kernels, and the launch-shape helpers.
//
//   NN_LAUNCH(kernel, grid, block, args...)
// under nvcc is kernel<<<grid, block>>>(args...) followed by a launch-error check; under the
// simulator it runs the kernel body on the CPU (cuda/sim/) with device memory opened for the
// duration. Kernel names passed to NN_LAUNCH must not contain commas (no multi-argument
// template-ids): the preprocessor would split them.
#pragma once
#include <cstdint>

#include "../native/core/error.h"
#include "sim/cuda_compat.h"

namespace nn::cuda {

#if defined(__CUDACC__)
void check(cudaError_t e, const char* what);  // throws Error(Device) naming `what`
#define NN_LAUNCH(kernel, grid, block, ...)                      \
  do {                                                           \
    kernel<<<(grid), (block)>>>(__VA_ARGS__);                    \
    ::nn::cuda::check(cudaGetLastError(), "launch of " #kernel); \
  } while (0)
// A real GPU wants enough blocks to fill every SM; grid-stride loops cover the rest.
constexpr unsigned kMaxBlocks = 8192;
constexpr unsigned kMaxRowBlocks = 65535;
#else
// Runs a simulated launch; simulator errors become Error(Internal) naming the kernel.
void sim_launch(const char* name, dim3 grid, dim3 block, const std::function<void()>& body);
// Arguments are evaluated once, on the host, before the launch (as with <<<>>>), and every
// simulated thread calls the kernel with copies of them.
template <typename F, typename... A>
void sim_launch_with(const char* name, dim3 grid, dim3 block, F f, A... args) {
  sim_launch(name, grid, block, [&] { f(args...); });
}
#define NN_LAUNCH(kernel, grid, block, ...) \
  ::nn::cuda::sim_launch_with(              \
      #kernel, (grid), (block), [](auto... a) { kernel(a...); }, __VA_ARGS__)
// The simulator pays per simulated thread, so grid-stride kernels get few blocks.
constexpr unsigned kMaxBlocks = 8;
constexpr unsigned kMaxRowBlocks = 16;
#endif

constexpr int kThreads = 256;

// A 1-D launch shape for n independent items in a grid-stride kernel: block size a multiple of
// 32 (full warps), at most kMaxBlocks blocks.
inline unsigned threads_for(int64_t n) {
  int64_t t = (n + 31) / 32 * 32;
  return static_cast<unsigned>(t < 32 ? 32 : (t > kThreads ? kThreads : t));
}
inline unsigned blocks_for(int64_t n, unsigned threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  return static_cast<unsigned>(b > kMaxBlocks ? kMaxBlocks : b);
}
// Blocks for "one block per row" kernels, which loop over rows with stride gridDim.x.
inline unsigned row_blocks(int64_t rows) {
  constexpr int64_t cap = kMaxRowBlocks;
  int64_t b = rows < 1 ? 1 : rows;
  return static_cast<unsigned>(b > cap ? cap : b);
}

}  // namespace nn::cuda
