// Device names from JavaScript ("cpu", "cuda") to backends.
#pragma once
#include <string>

#include "../backend.h"

namespace nn::binding {

// The backend for a device name; throws a Device error naming the reason when it is unavailable.
Backend& backend_for(const std::string& device, const char* op);

}  // namespace nn::binding
