#include "args.h"

#include <cmath>

#include "tensor_handle.h"

namespace nn::binding {

const Tensor& Args::tensor(size_t i, const char* name) const {
  if (i >= info.Length() || !TensorHandle::is(info[i]))
    fail(ErrorCode::Argument, op, ": argument '", name, "' must be a tensor");
  return TensorHandle::tensor_of(info[i].As<Napi::Object>(), op, name);
}

const Tensor& Args::tensor(size_t i, const char* name, DType dtype) const {
  const Tensor& t = tensor(i, name);
  if (t.dtype != dtype)
    fail(ErrorCode::DType, op, ": '", name, "' must be a ", dtype_name(dtype), " tensor, got ", dtype_name(t.dtype),
         " of shape ", shape_str(t.shape));
  return t;
}

const Tensor* Args::optional_tensor(size_t i, const char* name, DType dtype) const {
  if (!has(i)) return nullptr;
  return &tensor(i, name, dtype);
}

double Args::number(size_t i, const char* name) const {
  if (i >= info.Length() || !info[i].IsNumber())
    fail(ErrorCode::Argument, op, ": argument '", name, "' must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

int64_t Args::integer(size_t i, const char* name, int64_t lo, int64_t hi) const {
  double v = number(i, name);
  if (!std::isfinite(v) || v != std::floor(v))
    fail(ErrorCode::Argument, op, ": argument '", name, "' must be an integer, got ", v);
  if (v < static_cast<double>(lo) || v > static_cast<double>(hi))
    fail(ErrorCode::Argument, op, ": argument '", name, "' must be in [", lo, ", ", hi, "], got ", v);
  return static_cast<int64_t>(v);
}

bool Args::boolean(size_t i, const char* name) const {
  if (i >= info.Length() || !info[i].IsBoolean())
    fail(ErrorCode::Argument, op, ": argument '", name, "' must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

std::string Args::string(size_t i, const char* name) const {
  if (i >= info.Length() || !info[i].IsString())
    fail(ErrorCode::Argument, op, ": argument '", name, "' must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

Shape Args::shape(size_t i, const char* name) const {
  if (i >= info.Length() || !info[i].IsArray())
    fail(ErrorCode::Argument, op, ": argument '", name, "' must be an array of dimensions");
  Napi::Array a = info[i].As<Napi::Array>();
  if (a.Length() > static_cast<uint32_t>(kMaxDims))
    fail(ErrorCode::Shape, op, ": '", name, "' has ", a.Length(), " dimensions; at most ", kMaxDims, " are supported");
  Shape s;
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value v = a.Get(k);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!std::isfinite(d) || d != std::floor(d) || d < 0 || d > 1e12)
      fail(ErrorCode::Argument, op, ": '", name, "' dimension ", k, " must be a non-negative integer");
    s.push_back(static_cast<int64_t>(d));
  }
  int64_t n = 1;
  for (int64_t d : s)
    if ((n = checked_mul(n, d)) < 0)
      fail(ErrorCode::OutOfMemory, op, ": '", name, "' ", shape_str(s), " has more than 2^56 elements");
  return s;
}

std::vector<const Tensor*> Args::tensor_list(size_t i, const char* name, DType dtype) const {
  if (i >= info.Length() || !info[i].IsArray())
    fail(ErrorCode::Argument, op, ": argument '", name, "' must be an array of tensors");
  Napi::Array a = info[i].As<Napi::Array>();
  std::vector<const Tensor*> out;
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value v = a.Get(k);
    std::string label = std::string(name) + "[" + std::to_string(k) + "]";
    if (!TensorHandle::is(v)) fail(ErrorCode::Argument, op, ": '", label, "' must be a tensor");
    const Tensor& t = TensorHandle::tensor_of(v.As<Napi::Object>(), op, label.c_str());
    if (t.dtype != dtype)
      fail(ErrorCode::DType, op, ": '", label, "' must be ", dtype_name(dtype), ", got ", dtype_name(t.dtype));
    out.push_back(&t);
  }
  return out;
}

uint64_t Args::u64(size_t i, const char* name) const {
  if (i < info.Length() && info[i].IsBigInt()) {
    bool lossless = false;
    uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) fail(ErrorCode::Argument, op, ": '", name, "' must fit in 64 bits unsigned");
    return v;
  }
  return static_cast<uint64_t>(integer(i, name, 0, (int64_t(1) << 53)));
}

void require_same_device(const char* op, std::initializer_list<const Tensor*> ts) {
  const Tensor* first = nullptr;
  for (const Tensor* t : ts) {
    if (!t) continue;
    if (!first)
      first = t;
    else if (t->device() != first->device())
      fail(ErrorCode::Device, op, ": tensors are on different devices (", device_name(first->device()), " and ",
           device_name(t->device()), "); move them with .to() first");
  }
}

void require_shape(const char* op, const char* name, const Tensor& t, const Shape& expected) {
  if (t.shape != expected)
    fail(ErrorCode::Shape, op, ": '", name, "' must have shape ", shape_str(expected), ", got ", shape_str(t.shape));
}

void require_rank(const char* op, const char* name, const Tensor& t, int64_t rank) {
  if (t.dim() != rank)
    fail(ErrorCode::Shape, op, ": '", name, "' must have ", rank, " dimensions, got shape ", shape_str(t.shape));
}

Napi::Value wrap(Napi::Env env, Tensor t) { return TensorHandle::wrap(env, std::move(t)); }

Napi::Value wrap_all(Napi::Env env, std::initializer_list<Tensor> ts) {
  Napi::Array a = Napi::Array::New(env, ts.size());
  uint32_t i = 0;
  for (const Tensor& t : ts) a.Set(i++, TensorHandle::wrap(env, t));
  return a;
}

}  // namespace nn::binding
