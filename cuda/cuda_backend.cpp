// The process-wide CUDA backend and the availability probe behind cudaStatus().
//
// Real build: available when the CUDA runtime finds at least one device. Without a driver,
// cudaGetDeviceCount answers cudaErrorInsufficientDriver (35) and leaves the count untouched,
// so the count is zeroed before the call and the driver's own message becomes the reason.
// Simulator build (NNLAB_CUDA_SIM): always available, named "cuda (simulator)".
#include <mutex>
#include <string>

#include "cuda_backend.h"
#if defined(NNLAB_CUDA_REAL)
#include <cuda_runtime.h>
#endif

namespace nn {

Backend* cuda_backend(std::string* reason) {
#if defined(NNLAB_CUDA_REAL)
  static std::once_flag once;
  static CudaBackend* backend = nullptr;
  static std::string why;
  std::call_once(once, [] {
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      why = std::string("the CUDA runtime found no usable GPU: ") + cudaGetErrorString(e) + " (" + cudaGetErrorName(e) +
            ", error " + std::to_string(static_cast<int>(e)) + ")";
      cudaGetLastError();  // clear the error so later runtime calls do not see it
      return;
    }
    if (count == 0) {
      why = "the CUDA runtime reports no CUDA devices";
      return;
    }
    backend = new CudaBackend();  // never destroyed: tensors may outlive static teardown
  });
  if (!backend && reason) *reason = why;
  return backend;
#else
  static CudaBackend* backend = new CudaBackend();
  if (reason) reason->clear();
  return backend;
#endif
}

}  // namespace nn
