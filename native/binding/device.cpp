#include "device.h"

#include "../core/error.h"

namespace nn::binding {

Backend& backend_for(const std::string& device, const char* op) {
  if (device == "cpu") return cpu_backend();
  if (device == "cuda") {
    std::string reason;
    Backend* b = cuda_backend(&reason);
    if (!b) fail(ErrorCode::Device, op, ": device 'cuda' is not available: ", reason);
    return *b;
  }
  fail(ErrorCode::Device, op, ": unknown device '", device, "' (expected 'cpu' or 'cuda')");
}

}  // namespace nn::binding
