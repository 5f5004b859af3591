// A tensor is a contiguous, row-major block of one dtype on one device, plus its shape.
// Views that only reshape share storage; every other layout change is a copy made by an op,
// which keeps every kernel free of stride logic (except the one strided-copy kernel).
#pragma once
#include <cstdint>
#include <memory>

#include "dtype.h"
#include "error.h"
#include "shape.h"

namespace nn {

class Backend;

// Device memory owned by one backend; freed by it when the last tensor sharing it goes away.
struct Storage {
  Storage(Backend* b, size_t n);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  Backend* backend;
  void* data;
  size_t bytes;
};

struct Tensor {
  std::shared_ptr<Storage> storage;
  Shape shape;
  DType dtype = DType::F32;

  int64_t numel() const { return nn::numel(shape); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  int64_t dim() const { return static_cast<int64_t>(shape.size()); }
  Device device() const;
  Backend& backend() const { return *storage->backend; }

  template <typename T>
  T* data() const {
    return static_cast<T*>(storage->data);
  }
  float* f32() const { return data<float>(); }
  int32_t* i32() const { return data<int32_t>(); }
  uint8_t* u8() const { return data<uint8_t>(); }
};

// Allocates an uninitialised tensor on backend b; throws OutOfMemory naming the size on failure.
Tensor empty(Backend& b, const Shape& shape, DType dtype);
// Same shape, dtype and device as `like`.
Tensor empty_like(const Tensor& like);
// Shares storage with t under a new shape of the same element count.
Tensor reshaped(const Tensor& t, const Shape& shape);

}  // namespace nn
