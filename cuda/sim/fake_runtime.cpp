// See fake_runtime.h.
#include "fake_runtime.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "device_memory.h"

namespace nnsim {
namespace {
thread_local cudaError_t last_error = cudaSuccess;

struct Device {
  std::mutex mu;
  size_t size = size_t(16) << 30;
  size_t live = 0;
  std::map<void*, size_t> sizes;               // live allocations
  std::map<size_t, std::vector<void*>> spare;  // freed blocks by size, reused before the arena grows
};

Device& device() {
  static Device* d = [] {
    Device* r = new Device();  // never destroyed: tensors may outlive static teardown
    if (const char* e = std::getenv("NNLAB_SIM_DEVICE_BYTES")) {
      char* end = nullptr;
      unsigned long long v = std::strtoull(e, &end, 10);
      if (end != e && v > 0) r->size = static_cast<size_t>(v);
    }
    return r;
  }();
  return *d;
}

cudaError_t fail(cudaError_t e) {
  last_error = e;
  return e;
}
}  // namespace

void set_last_error(cudaError_t e) { last_error = e; }
size_t device_live_bytes() {
  std::lock_guard<std::mutex> lk(device().mu);
  return device().live;
}
size_t device_size_bytes() { return device().size; }

}  // namespace nnsim

using nnsim::device;

cudaError_t cudaMalloc(void** p, size_t bytes) {
  if (!p) return nnsim::fail(cudaErrorInvalidValue);
  *p = nullptr;
  auto& d = device();
  std::lock_guard<std::mutex> lk(d.mu);
  if (bytes > d.size - d.live) return nnsim::fail(cudaErrorMemoryAllocation);
  void* r = nullptr;
  auto it = d.spare.find(bytes);
  if (it != d.spare.end() && !it->second.empty()) {
    r = it->second.back();
    it->second.pop_back();
  } else {
    r = nnsim::device_reserve(bytes);
    if (!r) return nnsim::fail(cudaErrorMemoryAllocation);
  }
  d.sizes[r] = bytes;
  d.live += bytes;
  *p = r;
  return cudaSuccess;
}

cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  auto& d = device();
  std::lock_guard<std::mutex> lk(d.mu);
  auto it = d.sizes.find(p);
  if (it == d.sizes.end()) return nnsim::fail(cudaErrorInvalidDevicePointer);
  d.live -= it->second;
  d.spare[it->second].push_back(p);
  d.sizes.erase(it);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  bool dst_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  bool src_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (!dst || !src || nnsim::is_device_pointer(dst) != dst_dev || nnsim::is_device_pointer(src) != src_dev)
    return nnsim::fail(cudaErrorInvalidValue);
  nnsim::DeviceAccess open;
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  cudaError_t e = nnsim::last_error;
  nnsim::last_error = cudaSuccess;
  return e;
}

const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidValue:
      return "invalid argument";
    case cudaErrorMemoryAllocation:
      return "out of memory";
    case cudaErrorInvalidDevicePointer:
      return "invalid device pointer";
    case cudaErrorLaunchFailure:
      return "unspecified launch failure";
  }
  return "unrecognized error code";
}

cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
