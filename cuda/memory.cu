// Device memory (a caching allocator over cudaMalloc, or over the simulator's arena), copies,
// fills, casts and the strided copy.
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "../native/core/block_cache.h"
#include "cuda_backend.h"
#include "kernels/elementwise.cuh"
#include "launch.h"
#if !defined(__CUDACC__)
#include "sim/device_memory.h"
#endif

namespace nn {

// ---------------------------------------------------------------- raw memory and launches
namespace cuda {
// The same code in both builds: under nvcc it calls cudart; in the simulator build the fake
// runtime of cuda/sim/fake_runtime.h, which fails the same way (out of memory, bad pointers).
void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess)
    fail(ErrorCode::Device, "cuda: ", what, " failed: ", cudaGetErrorString(e), " (error ", static_cast<int>(e), ")");
}
void* raw_alloc(size_t bytes) {
  void* p = nullptr;
  if (cudaMalloc(&p, bytes) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky-free OOM error so later calls do not report it
    return nullptr;
  }
  return p;
}
void raw_free(void* p) { cudaFree(p); }

#if !defined(__CUDACC__)
void sim_launch(const char* name, dim3 grid, dim3 block, const std::function<void()>& body) {
  nnsim::DeviceAccess open;
  try {
    nnsim::launch(name, grid, block, body);
  } catch (const nnsim::SimError& e) {
    fail(ErrorCode::Internal, e.what());
  }
}
void sim_reject_host_pointer(const char* name, int index, const void* p) {
  fail(ErrorCode::Device, "cuda (simulator): argument ", index, " of kernel ", name, " points at host memory (", p,
       "), which a GPU kernel cannot read");
}
bool sim_is_device_pointer(const void* p) { return nnsim::is_device_pointer(p); }
unsigned sim_max_blocks(unsigned fallback) {
  static const long v = [] {
    const char* e = std::getenv("NNLAB_SIM_MAX_BLOCKS");
    return e ? std::strtol(e, nullptr, 10) : 0L;
  }();
  return v > 0 ? static_cast<unsigned>(v) : fallback;
}
#endif

namespace {
// Sizes are rounded to 4 steps per power of two so that slightly different requests share
// blocks (at most 25% waste), as PyTorch's caching allocator rounds.
size_t round_size(size_t b) {
  if (b <= 512) return 512;
  int p = 63 - __builtin_clzll(static_cast<unsigned long long>(b - 1));
  size_t step = size_t(1) << (p >= 2 ? p - 2 : 0);
  return (b + step - 1) / step * step;
}

// cudaMalloc/cudaFree synchronise the device and cost tens of microseconds: a training step
// allocates the same sizes every iteration, so freed blocks are kept by size and handed out
// again. The cache is released (and the allocation retried) when the device runs out.
BlockCache& cache() {
  static BlockCache* c = new BlockCache();  // never destroyed: tensors may outlive static teardown
  return *c;
}
}  // namespace

size_t cached_bytes() { return cache().cached(); }
void release_cache() { cache().drain(raw_free); }

}  // namespace cuda

using namespace cuda;

Device CudaBackend::device() const { return Device::CUDA; }

MemoryStats CudaBackend::memory_stats(bool) {
  MemoryStats m;
  m.cached_bytes = cuda::cached_bytes();
  return m;
}

void CudaBackend::release_cache() { cuda::release_cache(); }

std::string CudaBackend::name() const {
#if defined(__CUDACC__)
  return "cuda";
#else
  return "cuda (simulator)";
#endif
}

void* CudaBackend::alloc(size_t bytes) {
  size_t r = round_size(bytes);
  if (void* p = cache().take(r)) return p;
  void* p = raw_alloc(r);
  if (!p) {
    release_cache();
    p = raw_alloc(r);
  }
  if (!p) fail(ErrorCode::OutOfMemory, "cuda: could not allocate ", bytes, " bytes of device memory");
  return p;
}

void CudaBackend::free(void* p, size_t bytes) {
  if (p) cache().give(p, round_size(bytes));
}

void CudaBackend::copy_from_host(void* dst, const void* src, size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "cudaMemcpy host->device");
}
void CudaBackend::copy_to_host(void* dst, const void* src, size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy device->host");
}
void CudaBackend::copy_within(void* dst, const void* src, size_t bytes) {
  if (bytes) check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "cudaMemcpy device->device");
}
void CudaBackend::synchronize() { check(cudaDeviceSynchronize(), "cudaDeviceSynchronize"); }

// ---------------------------------------------------------------- fills, casts, layout
void CudaBackend::fill_f32(float* y, int64_t n, float value) {
  if (n > 0) NN_LAUNCH(fill_kernel<float>, blocks_for(n), threads_for(n), y, n, value);
}

void CudaBackend::fill_i32(int32_t* y, int64_t n, int32_t value) {
  if (n > 0) NN_LAUNCH(fill_kernel<int32_t>, blocks_for(n), threads_for(n), y, n, value);
}

void CudaBackend::arange_f32(float* y, int64_t n, float start, float step) {
  if (n > 0) NN_LAUNCH(arange_kernel, blocks_for(n), threads_for(n), y, n, start, step);
}

void CudaBackend::cast(const void* x, DType from, void* y, DType to, int64_t n, float scale) {
  if (n > 0)
    NN_LAUNCH(cast_kernel, blocks_for(n), threads_for(n), x, static_cast<int>(from), y, static_cast<int>(to), n, scale);
}

void CudaBackend::byte_table(const uint8_t* x, const float* table, float* y, int64_t n) {
  if (n > 0) NN_LAUNCH(byte_table_kernel, blocks_for(n), threads_for(n), x, table, y, n);
}

void CudaBackend::strided_copy(const StridedCopyArgs& a, const void* src, void* dst, size_t elem_size) {
  int64_t n = 1;
  for (int d = 0; d < a.ndim; ++d) n *= a.shape[d];
  if (n == 0) return;
  if (elem_size == 1)
    NN_LAUNCH(strided_copy_kernel<uint8_t>, blocks_for(n), threads_for(n), a, static_cast<const uint8_t*>(src),
              static_cast<uint8_t*>(dst), n);
  else
    NN_LAUNCH(strided_copy_kernel<uint32_t>, blocks_for(n), threads_for(n), a, static_cast<const uint32_t*>(src),
              static_cast<uint32_t*>(dst), n);
}

}  // namespace nn
