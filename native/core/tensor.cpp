#include "tensor.h"

#include "../backend.h"

namespace nn {

Storage::Storage(Backend* b, size_t n) : backend(b), data(nullptr), bytes(n) {
  // Zero-size tensors still get a distinct, valid (tiny) allocation so pointers are never null.
  data = b->alloc(n == 0 ? 64 : n);
}

Storage::~Storage() { backend->free(data, bytes == 0 ? 64 : bytes); }

Device Tensor::device() const { return storage->backend->device(); }

Tensor empty(Backend& b, const Shape& shape, DType dtype) {
  for (int64_t d : shape)
    NN_CHECK(d >= 0, ErrorCode::Argument, "tensor shape ", shape_str(shape), " has a negative dimension");
  int64_t n = numel(shape);
  NN_CHECK(n <= (int64_t(1) << 40), ErrorCode::OutOfMemory, "tensor of shape ", shape_str(shape), " (", n,
           " elements) is too large");
  Tensor t;
  t.storage = std::make_shared<Storage>(&b, static_cast<size_t>(n) * dtype_size(dtype));
  t.shape = shape;
  t.dtype = dtype;
  return t;
}

Tensor empty_like(const Tensor& like) { return empty(like.backend(), like.shape, like.dtype); }

Tensor reshaped(const Tensor& t, const Shape& shape) {
  NN_CHECK(numel(shape) == t.numel(), ErrorCode::Shape, "reshape: cannot view ", shape_str(t.shape), " (", t.numel(),
           " elements) as ", shape_str(shape), " (", numel(shape), " elements)");
  Tensor r = t;
  r.shape = shape;
  return r;
}

}  // namespace nn
