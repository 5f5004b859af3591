// Helpers shared by the elementwise / reduce / softmax / dropout / indexing entry points: axis
// normalisation, the [outer, dim, inner] view around an axis, index range checks with messages
// that name the bad index, and broadcasting expansion through the backend's strided copy.
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "../backend.h"
#include "../core/tensor.h"
#include "args.h"

namespace nn::binding {

// Axis in [-rank, rank) -> [0, rank). A 0-d tensor behaves as one of shape [1] (axes 0 and -1).
inline int64_t normalize_axis(const char* op, const char* name, int64_t axis, const Shape& shape) {
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(shape.size()));
  if (axis < -rank || axis >= rank)
    fail(ErrorCode::Argument, op, ": '", name, "' ", axis, " is out of range for a tensor of shape ", shape_str(shape),
         " (expected an integer in [", -rank, ", ", rank - 1, "])");
  return axis < 0 ? axis + rank : axis;
}

inline int64_t read_axis(const Args& a, size_t i, const char* name, const Shape& shape) {
  return normalize_axis(a.op, name, a.integer(i, name, -1000, 1000), shape);
}

struct AxisView {
  int64_t outer = 1, dim = 1, inner = 1;
};

// x viewed as [outer, dim, inner] around the (already normalised) axis range [first, last].
inline AxisView axis_view(const Shape& s, int64_t first, int64_t last) {
  AxisView v;
  for (int64_t k = 0; k < static_cast<int64_t>(s.size()); ++k) {
    if (k < first)
      v.outer *= s[k];
    else if (k <= last)
      v.dim *= s[k];
    else
      v.inner *= s[k];
  }
  return v;
}
inline AxisView axis_view(const Shape& s, int64_t axis) { return axis_view(s, axis, axis); }

inline std::vector<int32_t> host_i32(const Tensor& t) {
  std::vector<int32_t> v(static_cast<size_t>(t.numel()));
  if (!v.empty()) t.backend().copy_to_host(v.data(), t.storage->data, v.size() * sizeof(int32_t));
  return v;
}

inline std::vector<float> host_f32(const Tensor& t, int64_t offset = 0, int64_t n = -1) {
  if (n < 0) n = t.numel() - offset;
  std::vector<float> v(static_cast<size_t>(n));
  if (n > 0) t.backend().copy_to_host(v.data(), t.f32() + offset, static_cast<size_t>(n) * sizeof(float));
  return v;
}

// "[1, 2]": the multi-index of flat position `flat` in shape s (or "3" for 1-d).
inline std::string position_str(const Shape& s, int64_t flat) {
  if (s.size() <= 1) return std::to_string(flat);
  Shape idx(s.size());
  for (size_t k = s.size(); k-- > 0;) {
    idx[k] = s[k] ? flat % s[k] : 0;
    flat = s[k] ? flat / s[k] : 0;
  }
  return shape_str(idx);
}

// Throws IndexOutOfRange naming the first index of t outside [0, size).
inline void check_indices(const char* op, const char* name, const Tensor& t, int64_t size, const std::string& what) {
  std::vector<int32_t> v = host_i32(t);
  for (size_t k = 0; k < v.size(); ++k)
    if (v[k] < 0 || v[k] >= size)
      fail(ErrorCode::Index, op, ": '", name, "' holds ", v[k], " at position ", position_str(t.shape, int64_t(k)),
           ", out of range for ", what, " (valid range [0, ", size, "))");
}

// A contiguous copy of t broadcast to `out` (t's shape must broadcast to it).
inline Tensor expand_to(const Tensor& t, const Shape& out) {
  if (t.shape == out) return t;
  StridedCopyArgs s{};
  s.ndim = static_cast<int>(out.size());
  Shape ts = contiguous_strides(t.shape);
  const size_t lead = out.size() - t.shape.size();
  Shape os = contiguous_strides(out);
  for (size_t k = 0; k < out.size(); ++k) {
    s.shape[k] = out[k];
    s.dst_strides[k] = os[k];
    s.src_strides[k] = (k < lead || t.shape[k - lead] == 1) ? 0 : ts[k - lead];
  }
  Tensor r = empty(t.backend(), out, t.dtype);
  if (numel(out) > 0) t.backend().strided_copy(s, t.storage->data, r.storage->data, dtype_size(t.dtype));
  return r;
}

// Element-by-element names of an enum for error messages and the exported op lists.
template <typename E>
struct NamedOp {
  const char* name;
  E op;
};

template <typename E, size_t N>
E parse_op(const char* op, const std::string& s, const NamedOp<E> (&table)[N], const char* kind) {
  for (const auto& e : table)
    if (s == e.name) return e.op;
  std::string names;
  for (size_t k = 0; k < N; ++k) names += (k ? ", " : "") + std::string(table[k].name);
  fail(ErrorCode::Argument, op, ": unknown ", kind, " '", s, "' (valid: ", names, ")");
}

template <typename E, size_t N>
Napi::Value op_names(Napi::Env env, const NamedOp<E> (&table)[N]) {
  Napi::Array arr = Napi::Array::New(env, N);
  for (size_t k = 0; k < N; ++k) arr.Set(static_cast<uint32_t>(k), Napi::String::New(env, table[k].name));
  return arr;
}

}  // namespace nn::binding
