// Linked into builds made without the CUDA backend (the node-gyp fallback, CPU-only cmake).
#include "backend.h"

namespace nn {

Backend* cuda_backend(std::string* reason) {
  if (reason) *reason = "this build of nnlab has no CUDA backend (it was compiled without nvcc)";
  return nullptr;
}

}  // namespace nn
