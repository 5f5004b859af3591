// Element types and devices. float32 for compute, int32 for labels and indices, uint8 for raw
// images and masks.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nn {

enum class DType : uint8_t { F32 = 0, I32 = 1, U8 = 2 };
enum class Device : uint8_t { CPU = 0, CUDA = 1 };

inline size_t dtype_size(DType t) { return t == DType::U8 ? 1 : 4; }

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32:
      return "float32";
    case DType::I32:
      return "int32";
    case DType::U8:
      return "uint8";
  }
  return "?";
}

inline const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

}  // namespace nn
