// A fake CUDA runtime for the simulator build: the few cudart entry points the backend calls
// (cudaMalloc, cudaFree, cudaMemcpy, cudaGetLastError, cudaGetErrorString, cudaDeviceSynchronize),
// with their real signatures and error codes, over the simulator's device arena.
//
// Why: the allocation, copy, launch-error and out-of-memory code of cuda/memory.cu is the code
// that runs on a GPU. With this layer the simulator build compiles and runs that same code
// instead of a separate simulator-only branch, so a GPU's first run is not its first execution.
//
// Fidelity where it matters for the backend:
// - cudaMalloc fails with cudaErrorMemoryAllocation (and leaves it as the last error, as cudart
//   does) once live device bytes would exceed the device size: NNLAB_SIM_DEVICE_BYTES (default
//   16 GiB), so a test can make the device small and drive the out-of-memory recovery.
// - cudaFree returns the bytes to the device (freed blocks are reused by later allocations of
//   the same rounded size; the arena itself never shrinks).
// - cudaMemcpy checks that each side is on the side its kind says (device pointers are those of
//   the arena) and answers cudaErrorInvalidValue otherwise, where a GPU would fault.
#pragma once
#include <cstddef>

#if !defined(__CUDACC__)

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorLaunchFailure = 719,
};
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
};

cudaError_t cudaMalloc(void** p, size_t bytes);
cudaError_t cudaFree(void* p);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaGetLastError();
const char* cudaGetErrorString(cudaError_t e);
cudaError_t cudaDeviceSynchronize();

namespace nnsim {
// Records `e` as the calling thread's last error (cudaGetLastError returns and clears it): the
// simulated launch reports its failures this way, as a real launch does.
void set_last_error(cudaError_t e);
// Device bytes live (allocated and not freed) and the device size, for tests.
size_t device_live_bytes();
size_t device_size_bytes();
}  // namespace nnsim

#endif
