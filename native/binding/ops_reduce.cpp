// Entry points for reductions: sum/mean/max/min over any set of axes, argmax, max with its
// indices (for max's backward) and sumToShape (the gradient of a broadcast).
#include <algorithm>

#include "errors.h"
#include "js_functions.h"
#include "ew_util.h"

namespace nn::binding {
namespace js_reduce {

const NamedOp<ReduceOp> kReduce[] = {
    {"sum", ReduceOp::Sum}, {"mean", ReduceOp::Mean}, {"max", ReduceOp::Max}, {"min", ReduceOp::Min}};

// The shape a 0-d tensor is reduced as.
Shape effective(const Shape& s) { return s.empty() ? Shape{1} : s; }

// Sorted, de-duplicated, normalised axes; null/undefined or [] mean every axis.
std::vector<int64_t> read_axes(const Args& a, size_t i, const Shape& shape) {
  std::vector<int64_t> axes;
  const int64_t rank = static_cast<int64_t>(effective(shape).size());
  if (a.has(i)) {
    if (!a.info[i].IsArray()) fail(ErrorCode::Argument, a.op, ": 'axes' must be an array of integers");
    Napi::Array arr = a.info[i].As<Napi::Array>();
    for (uint32_t k = 0; k < arr.Length(); ++k) {
      Napi::Value v = arr.Get(k);
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
      if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 1000)
        fail(ErrorCode::Argument, a.op, ": 'axes' entry ", k, " must be an integer");
      int64_t ax = normalize_axis(a.op, "axes entry", static_cast<int64_t>(d), shape);
      if (std::find(axes.begin(), axes.end(), ax) != axes.end())
        fail(ErrorCode::Argument, a.op, ": 'axes' names axis ", ax, " twice (shape ", shape_str(shape), ")");
      axes.push_back(ax);
    }
  }
  if (axes.empty())
    for (int64_t k = 0; k < rank; ++k) axes.push_back(k);
  std::sort(axes.begin(), axes.end());
  return axes;
}

// Output shape: reduced axes kept as 1 or dropped.
Shape reduced_shape(const Shape& shape, const std::vector<int64_t>& axes, bool keepdim) {
  Shape out;
  for (int64_t k = 0; k < static_cast<int64_t>(shape.size()); ++k) {
    bool red = std::find(axes.begin(), axes.end(), k) != axes.end();
    if (!red)
      out.push_back(shape[k]);
    else if (keepdim)
      out.push_back(1);
  }
  return out;
}

void require_nonempty_axes(const char* op, const char* what, const Shape& shape, const std::vector<int64_t>& axes) {
  Shape eff = effective(shape);
  for (int64_t ax : axes)
    if (eff[ax] == 0)
      fail(ErrorCode::Shape, op, ": cannot take the ", what, " over axis ", ax, " of size 0 (shape ", shape_str(shape),
           "): the reduction has no identity");
}

// Reduces runs of adjacent axes one backend call each (the last run first), so [N, C, H, W]
// over (2, 3) is a single [N*C, H*W, 1] reduction. Returns a tensor of `out_shape`.
Tensor reduce_axes(const Tensor& x, ReduceOp op, const std::vector<int64_t>& axes, const Shape& out_shape) {
  Backend& b = x.backend();
  Shape cur = effective(x.shape);
  Tensor src = x;
  size_t e = axes.size();
  while (e > 0) {
    size_t s = e - 1;
    while (s > 0 && axes[s - 1] == axes[s] - 1) --s;
    const int64_t first = axes[s], last = axes[e - 1];
    AxisView v = axis_view(cur, first, last);
    Shape next = cur;
    for (int64_t k = first; k <= last; ++k) next[k] = 1;
    Tensor dst = empty(b, next, DType::F32);
    if (numel(next) > 0) b.reduce(op, src.f32(), dst.f32(), v.outer, v.dim, v.inner);
    src = dst;
    cur = next;
    e = s;
  }
  return reshaped(src, out_shape);
}

// reduce(x, op, axes = [] (all), keepdim = false)
Napi::Value reduce(const Napi::CallbackInfo& info) {
  Args a{info, "reduce"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  std::string name = a.string(1, "op");
  ReduceOp op = parse_op(a.op, name, kReduce, "reduction");
  std::vector<int64_t> axes = read_axes(a, 2, x.shape);
  bool keepdim = a.has(3) ? a.boolean(3, "keepdim") : false;
  if (op == ReduceOp::Max || op == ReduceOp::Min) require_nonempty_axes(a.op, name.c_str(), x.shape, axes);
  Shape out = x.shape.empty() ? Shape{} : reduced_shape(x.shape, axes, keepdim);
  return wrap(a.env(), reduce_axes(x, op, axes, out));
}

struct ArgAxis {
  int64_t axis;  // -1: over all elements (flattened)
  AxisView v;
  Shape out;
};

// axis = null/undefined reduces the flattened tensor (as torch.argmax without dim).
ArgAxis read_arg_axis(const Args& a, const Tensor& x, bool keepdim) {
  ArgAxis r;
  if (!a.has(1)) {
    r.axis = -1;
    r.v.dim = x.numel();
    r.out = keepdim ? Shape(x.shape.size(), 1) : Shape{};
    if (x.numel() == 0)
      fail(ErrorCode::Shape, a.op, ": cannot take the max of an empty tensor (shape ", shape_str(x.shape), ")");
    return r;
  }
  r.axis = read_axis(a, 1, "axis", x.shape);
  require_nonempty_axes(a.op, "max", x.shape, {r.axis});
  r.v = axis_view(effective(x.shape), r.axis);
  r.out = x.shape.empty() ? Shape{} : reduced_shape(x.shape, {r.axis}, keepdim);
  return r;
}

// argmax(x, axis?, keepdim = false) -> int32 (first maximum on ties; NaN counts as maximal)
Napi::Value argmax(const Napi::CallbackInfo& info) {
  Args a{info, "argmax"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  bool keepdim = a.has(2) ? a.boolean(2, "keepdim") : false;
  ArgAxis r = read_arg_axis(a, x, keepdim);
  Tensor idx = empty(x.backend(), r.out, DType::I32);
  if (numel(r.out) > 0) x.backend().argmax(x.f32(), idx.i32(), r.v.outer, r.v.dim, r.v.inner);
  return wrap(a.env(), std::move(idx));
}

// maxWithIndices(x, axis, keepdim = false) -> [values, int32 indices]
Napi::Value max_with_indices(const Napi::CallbackInfo& info) {
  Args a{info, "maxWithIndices"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  bool keepdim = a.has(2) ? a.boolean(2, "keepdim") : false;
  if (!a.has(1)) fail(ErrorCode::Argument, a.op, ": argument 'axis' must be a number");
  ArgAxis r = read_arg_axis(a, x, keepdim);
  Backend& b = x.backend();
  Tensor vals = empty(b, r.out, DType::F32);
  Tensor idx = empty(b, r.out, DType::I32);
  if (numel(r.out) > 0) {
    b.reduce(ReduceOp::Max, x.f32(), vals.f32(), r.v.outer, r.v.dim, r.v.inner);
    b.argmax(x.f32(), idx.i32(), r.v.outer, r.v.dim, r.v.inner);
  }
  return wrap_all(a.env(), {vals, idx});
}

// sumToShape(x, shape): sums the axes along which `shape` was broadcast to x.shape. Always
// returns a new tensor (a copy when nothing needs summing).
Napi::Value sum_to_shape(const Napi::CallbackInfo& info) {
  Args a{info, "sumToShape"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  Shape target = a.shape(1, "shape");
  const size_t xr = x.shape.size(), tr = target.size();
  bool ok = tr <= xr;
  std::vector<int64_t> axes;
  for (size_t k = 0; ok && k < xr; ++k) {
    if (k < xr - tr) {
      axes.push_back(static_cast<int64_t>(k));
      continue;
    }
    int64_t t = target[k - (xr - tr)];
    if (t == x.shape[k]) continue;
    if (t == 1)
      axes.push_back(static_cast<int64_t>(k));
    else
      ok = false;
  }
  if (!ok)
    fail(ErrorCode::Shape, a.op, ": cannot sum x of shape ", shape_str(x.shape), " to shape ", shape_str(target), " (",
         shape_str(target), " must broadcast to ", shape_str(x.shape), ")");
  if (axes.empty()) {
    Tensor out = empty(x.backend(), target, DType::F32);
    x.backend().copy_within(out.storage->data, x.storage->data, x.nbytes());
    return wrap(a.env(), std::move(out));
  }
  return wrap(a.env(), reduce_axes(x, ReduceOp::Sum, axes, target));
}

// squaredDiff(input, target, op) -> [input - target, op over every element of (input - target)^2]
// for op 'sum' or 'mean' (a 0-d tensor; mean of nothing is NaN): mseLoss's forward in one pass,
// with the bits of binary 'sub', unary 'square' and reduce(op) over all axes.
Napi::Value squared_diff(const Napi::CallbackInfo& info) {
  Args a{info, "squaredDiff"};
  const Tensor& x = a.tensor(0, "input", DType::F32);
  const Tensor& t = a.tensor(1, "target", DType::F32);
  const std::string name = a.string(2, "op");
  const ReduceOp op = parse_op(a.op, name, kReduce, "reduction");
  if (op != ReduceOp::Sum && op != ReduceOp::Mean)
    fail(ErrorCode::Argument, a.op, ": op must be 'sum' or 'mean', got '", name, "'");
  require_same_device(a.op, {&x, &t});
  require_shape(a.op, "target", t, x.shape);
  Backend& b = x.backend();
  Tensor diff = empty(b, x.shape, DType::F32), y = empty(b, Shape{}, DType::F32);
  b.squared_diff_reduce(op, x.f32(), t.f32(), diff.f32(), y.f32(), x.numel());
  return wrap_all(a.env(), {diff, y});
}

Napi::Value reduce_ops(const Napi::CallbackInfo& info) { return op_names(info.Env(), kReduce); }

}  // namespace js_reduce

}  // namespace nn::binding
