// The one way the CUDA backend launches kernels, and the launch-shape helpers.
//
//   NN_LAUNCH(kernel, grid, block, args...)
// under nvcc is kernel<<<grid, block>>>(args...) followed by a launch-error check; under the
// simulator it runs the kernel body on the CPU (cuda/sim/) with device memory opened for the
// duration. Kernel names passed to NN_LAUNCH must not contain commas (no multi-argument
// template-ids): the preprocessor would split them.
#pragma once
#include <cstdint>
#include <type_traits>

#include "../native/core/error.h"
#include "sim/cuda_compat.h"

namespace nn::cuda {

void check(cudaError_t e, const char* what);  // throws Error(Device) naming `what` (both builds)
#if defined(__CUDACC__)
#define NN_LAUNCH(kernel, grid, block, ...)                      \
  do {                                                           \
    kernel<<<(grid), (block)>>>(__VA_ARGS__);                    \
    ::nn::cuda::check(cudaGetLastError(), "launch of " #kernel); \
  } while (0)
// A real GPU wants enough blocks to fill every SM; grid-stride loops cover the rest.
inline unsigned max_blocks() { return 8192; }
inline unsigned max_row_blocks() { return 65535; }
#else
// Runs a simulated launch; simulator errors become Error(Internal) naming the kernel.
void sim_launch(const char* name, dim3 grid, dim3 block, const std::function<void()>& body);
bool sim_is_device_pointer(const void* p);
[[noreturn]] void sim_reject_host_pointer(const char* name, int index, const void* p);
// Every pointer argument of a kernel must be device memory (or null, for optional inputs): a
// GPU kernel handed host memory faults, and here it would silently work.
template <typename A>
void sim_check_arg(const char* name, int index, const A& a) {
  if constexpr (std::is_pointer_v<A>) {
    if (a && !sim_is_device_pointer(a)) sim_reject_host_pointer(name, index, a);
  }
}
// Arguments are evaluated once, on the host, before the launch (as with <<<>>>), and every
// simulated thread calls the kernel with copies of them.
template <typename F, typename... A>
void sim_launch_with(const char* name, dim3 grid, dim3 block, F f, A... args) {
  int index = 0;
  (sim_check_arg(name, index++, args), ...);
  sim_launch(name, grid, block, [&] { f(args...); });
}
#define NN_LAUNCH(kernel, grid, block, ...)                                      \
  do {                                                                           \
    ::nn::cuda::sim_launch_with(                                                 \
        #kernel, (grid), (block), [](auto... a) { kernel(a...); }, __VA_ARGS__); \
    ::nn::cuda::check(cudaGetLastError(), "launch of " #kernel);                 \
  } while (0)
// The simulator pays per simulated thread, so grid-stride kernels get few blocks, unless
// NNLAB_SIM_MAX_BLOCKS asks for a GPU's grid sizes (a test runs thousands of blocks this way).
unsigned sim_max_blocks(unsigned fallback);
inline unsigned max_blocks() { return sim_max_blocks(8); }
inline unsigned max_row_blocks() { return sim_max_blocks(16); }
#endif

constexpr int kThreads = 256;

// A 1-D launch shape for n independent items in a grid-stride kernel: block size a multiple of
// 32 (full warps), at most max_blocks() blocks.
inline unsigned threads_for(int64_t n) {
  int64_t t = (n + 31) / 32 * 32;
  return static_cast<unsigned>(t < 32 ? 32 : (t > kThreads ? kThreads : t));
}
inline unsigned blocks_for(int64_t n, unsigned threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  const int64_t cap = max_blocks();
  return static_cast<unsigned>(b > cap ? cap : b);
}
// Blocks for "one block per row" kernels, which loop over rows with stride gridDim.x.
inline unsigned row_blocks(int64_t rows) {
  const int64_t cap = max_row_blocks();
  int64_t b = rows < 1 ? 1 : rows;
  return static_cast<unsigned>(b > cap ? cap : b);
}

}  // namespace nn::cuda
