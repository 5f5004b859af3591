// Argument readers for op entry points. Each names the op and the argument in its error, so a
// user sees "conv2d: weight must be a float32 tensor, got int32" rather than a crash.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "../backend.h"
#include "../core/tensor.h"

namespace nn::binding {

struct Args {
  const Napi::CallbackInfo& info;
  const char* op;

  Napi::Env env() const { return info.Env(); }
  size_t size() const { return info.Length(); }
  bool has(size_t i) const { return i < info.Length() && !info[i].IsUndefined() && !info[i].IsNull(); }

  const Tensor& tensor(size_t i, const char* name) const;
  // A tensor of the given dtype.
  const Tensor& tensor(size_t i, const char* name, DType dtype) const;
  // null/undefined -> nullptr.
  const Tensor* optional_tensor(size_t i, const char* name, DType dtype) const;
  double number(size_t i, const char* name) const;
  float f32(size_t i, const char* name) const { return static_cast<float>(number(i, name)); }
  // An integer-valued number in [lo, hi].
  int64_t integer(size_t i, const char* name, int64_t lo = INT64_MIN / 2, int64_t hi = INT64_MAX / 2) const;
  bool boolean(size_t i, const char* name) const;
  std::string string(size_t i, const char* name) const;
  Shape shape(size_t i, const char* name) const;
  // A JS array of tensors.
  std::vector<const Tensor*> tensor_list(size_t i, const char* name, DType dtype) const;
  // A 64-bit unsigned value passed as a number or a BigInt (RNG seeds and offsets).
  uint64_t u64(size_t i, const char* name) const;
};

// Throws a Device error unless every tensor lives on the same device.
void require_same_device(const char* op, std::initializer_list<const Tensor*> ts);
// Throws a Shape error unless t has the exact shape.
void require_shape(const char* op, const char* name, const Tensor& t, const Shape& expected);
// Throws a Shape error unless t has `rank` dimensions.
void require_rank(const char* op, const char* name, const Tensor& t, int64_t rank);

Napi::Value wrap(Napi::Env env, Tensor t);
Napi::Value wrap_all(Napi::Env env, std::initializer_list<Tensor> ts);

// An output of `shape` and `dtype` on `like`'s device, written by `kernel(out)` unless it is empty.
template <class Kernel>
Napi::Value output_of(const Args& a, const Tensor& like, const Shape& shape, DType dtype, Kernel&& kernel) {
  Tensor y = empty(like.backend(), shape, dtype);
  if (y.numel() > 0) kernel(y);
  return wrap(a.env(), std::move(y));
}

// A float32 gradient of `shape` on dy's device, written by `kernel(grad)`; zeros without a kernel
// call when dy is empty (nothing flows back, and the kernels assume a non-empty dy).
template <class Kernel>
Napi::Value gradient_or_zeros(const Args& a, const Tensor& dy, const Shape& shape, Kernel&& kernel) {
  Tensor g = empty(dy.backend(), shape, DType::F32);
  if (dy.numel() > 0)
    kernel(g);
  else
    dy.backend().fill_f32(g.f32(), g.numel(), 0.f);
  return wrap(a.env(), std::move(g));
}

}  // namespace nn::binding
