// Entry points for index ops. Every index is range-checked on the host before a kernel runs
// (indices cross to the host once; the kernels trust them). The accumulating ops (indexAdd,
// scatterAdd) return a new tensor and leave `target` unchanged.
#include "errors.h"
#include "js_functions.h"
#include "ew_util.h"

namespace nn::binding {
namespace js_indexing {

std::string axis_what(int64_t axis, const Shape& s) {
  const int64_t size = s.empty() ? 1 : s[axis];
  return "axis " + std::to_string(axis) + " of size " + std::to_string(size) + " of shape " + shape_str(s);
}

// x with axis replaced by n.
Shape with_axis(const Shape& s, int64_t axis, int64_t n) {
  Shape r = s.empty() ? Shape{1} : s;
  r[axis] = n;
  return r;
}

// The view of `shape` around `axis`, after checking every index in idx against that axis.
AxisView checked_axis(const Args& a, const Tensor& idx, const Shape& shape, int64_t axis) {
  AxisView v = axis_view(shape, axis);
  check_indices(a.op, "idx", idx, v.dim, axis_what(axis, shape));
  return v;
}

// The arguments of the accumulating ops: target, axis, idx int32, src.
struct Accumulation {
  const Tensor& target;
  int64_t axis;
  const Tensor& idx;
  const Tensor& src;
};
Accumulation accumulation_args(const Args& a) {
  const Tensor& t = a.tensor(0, "target", DType::F32);
  int64_t axis = read_axis(a, 1, "axis", t.shape);
  const Tensor& idx = a.tensor(2, "idx", DType::I32);
  return {t, axis, idx, a.tensor(3, "src", DType::F32)};
}

// The four index kernels share one signature: (x or src, idx, out, outer, dim, inner, count).
using IndexKernel = void (Backend::*)(const float*, const int32_t*, float*, int64_t, int64_t, int64_t, int64_t);

// The selecting ops' last step: every index checked along `axis` of x, then `kernel` from x into
// a new tensor of `shape` and `dtype`.
Napi::Value selected(const Args& a, const Tensor& x, const Tensor& idx, int64_t axis, const Shape& shape, DType dtype,
                     int64_t count, IndexKernel kernel) {
  AxisView v = checked_axis(a, idx, x.shape, axis);
  return output_of(a, x, shape, dtype, [&](Tensor& out) {
    (x.backend().*kernel)(x.f32(), idx.i32(), out.f32(), v.outer, v.dim, v.inner, count);
  });
}

// The accumulating ops' last step: every index checked along `axis` of t, then `kernel` adds src
// into a copy of t (target itself stays unchanged).
Napi::Value accumulated(const Args& a, const Accumulation& c, int64_t count, IndexKernel kernel) {
  AxisView v = checked_axis(a, c.idx, c.target.shape, c.axis);
  Backend& b = c.target.backend();
  Tensor out = empty(b, c.target.shape, DType::F32);
  b.copy_within(out.storage->data, c.target.storage->data, c.target.nbytes());
  if (c.src.numel() > 0) (b.*kernel)(c.src.f32(), c.idx.i32(), out.f32(), v.outer, v.dim, v.inner, count);
  return wrap(a.env(), std::move(out));
}

// indexSelect(x, axis, idx int32 [k]) -> x with `axis` of size k: out[.., j, ..] = x[.., idx[j], ..]
Napi::Value index_select(const Napi::CallbackInfo& info) {
  Args a{info, "indexSelect"};
  // int32 rows (labels) are selected too: the kernel moves 4-byte values without arithmetic.
  const Tensor& x = a.tensor(0, "x");
  if (x.dtype == DType::U8)
    fail(ErrorCode::DType, a.op, ": 'x' must be a float32 or int32 tensor, got uint8 of shape ", shape_str(x.shape));
  int64_t axis = read_axis(a, 1, "axis", x.shape);
  const Tensor& idx = a.tensor(2, "idx", DType::I32);
  require_rank(a.op, "idx", idx, 1);
  require_same_device(a.op, {&x, &idx});
  const int64_t k = idx.shape[0];
  return selected(a, x, idx, axis, with_axis(x.shape, axis, k), x.dtype, k, &Backend::index_select);
}

// indexAdd(target, axis, idx int32 [k], src) -> a new tensor: target with
// out[.., idx[j], ..] += src[.., j, ..]; src is target's shape with `axis` of size k.
Napi::Value index_add(const Napi::CallbackInfo& info) {
  Args a{info, "indexAdd"};
  const Accumulation c = accumulation_args(a);
  const Tensor &t = c.target, &idx = c.idx, &src = c.src;
  const int64_t axis = c.axis;
  require_rank(a.op, "idx", idx, 1);
  require_same_device(a.op, {&t, &idx, &src});
  const int64_t k = idx.shape[0];
  Shape expect = with_axis(t.shape, axis, k);
  if (t.shape.empty()) expect = {k};
  if (numel(src.shape) != numel(expect) || (src.shape != expect && !t.shape.empty()))
    fail(ErrorCode::Shape, a.op, ": 'src' must have shape ", shape_str(expect), " (target ", shape_str(t.shape),
         " with axis ", axis, " of size ", k, " = idx length), got ", shape_str(src.shape));
  return accumulated(a, c, k, &Backend::index_add);
}

// idx must have x's rank and match x on every axis but `axis` (stricter than torch, which
// allows smaller extents: the kernels view idx as [outer, nj, inner] with x's outer and inner).
void check_gather_shapes(const Args& a, const char* xname, const Tensor& x, const Tensor& idx, int64_t axis) {
  bool ok = idx.shape.size() == x.shape.size();
  for (size_t k = 0; ok && k < x.shape.size(); ++k)
    if (static_cast<int64_t>(k) != axis && idx.shape[k] != x.shape[k]) ok = false;
  if (!ok)
    fail(ErrorCode::Shape, a.op, ": 'idx' of shape ", shape_str(idx.shape), " must match '", xname, "' of shape ",
         shape_str(x.shape), " on every axis except axis ", axis);
}

// gather(x, axis, idx int32) -> shape of idx: out[.., j, ..] = x[.., idx[.., j, ..], ..] (torch.gather)
Napi::Value gather(const Napi::CallbackInfo& info) {
  Args a{info, "gather"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  int64_t axis = read_axis(a, 1, "axis", x.shape);
  const Tensor& idx = a.tensor(2, "idx", DType::I32);
  require_same_device(a.op, {&x, &idx});
  check_gather_shapes(a, "x", x, idx, axis);
  const int64_t nj = idx.shape.empty() ? 1 : idx.shape[axis];
  return selected(a, x, idx, axis, idx.shape, DType::F32, nj, &Backend::gather);
}

// scatterAdd(target, axis, idx int32, src) -> a new tensor: target with
// out[.., idx[.., j, ..], ..] += src[.., j, ..]; idx and src have the same shape (torch.scatter_add).
Napi::Value scatter_add(const Napi::CallbackInfo& info) {
  Args a{info, "scatterAdd"};
  const Accumulation c = accumulation_args(a);
  const Tensor &t = c.target, &idx = c.idx, &src = c.src;
  const int64_t axis = c.axis;
  require_same_device(a.op, {&t, &idx, &src});
  require_shape(a.op, "src", src, idx.shape);
  check_gather_shapes(a, "target", t, idx, axis);
  return accumulated(a, c, idx.shape.empty() ? 1 : idx.shape[axis], &Backend::scatter_add);
}

// oneHot(labels int32 (any shape), classes) -> float32 labels.shape + [classes]
Napi::Value one_hot(const Napi::CallbackInfo& info) {
  Args a{info, "oneHot"};
  const Tensor& labels = a.tensor(0, "labels", DType::I32);
  int64_t classes = a.integer(1, "classes", 0, int64_t(1) << 31);
  if (labels.shape.size() >= static_cast<size_t>(kMaxDims))
    fail(ErrorCode::Shape, a.op, ": labels of shape ", shape_str(labels.shape), " would give more than ", kMaxDims,
         " dimensions");
  check_indices(a.op, "labels", labels, classes, std::to_string(classes) + " classes");
  Shape out_shape = labels.shape;
  out_shape.push_back(classes);
  Tensor out = empty(labels.backend(), out_shape, DType::F32);
  if (out.numel() > 0) labels.backend().one_hot(labels.i32(), out.f32(), labels.numel(), classes);
  return wrap(a.env(), std::move(out));
}

}  // namespace js_indexing

}  // namespace nn::binding
