// Entry points for softmax / log-softmax (and backward) along any axis, and the fused
// softmax + cross-entropy used for classification losses.
#include <cmath>
#include <optional>
#include <string>

#include "errors.h"
#include "js_functions.h"
#include "ew_util.h"

namespace nn::binding {
namespace js_softmax {

// axis at index i, default -1 (the last axis).
int64_t softmax_axis(const Args& a, size_t i, const Shape& shape) {
  return a.has(i) ? read_axis(a, i, "axis", shape) : normalize_axis(a.op, "axis", -1, shape);
}

Napi::Value softmax_forward(const Napi::CallbackInfo& info, const char* name, bool log) {
  Args a{info, name};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  AxisView v = axis_view(x.shape, softmax_axis(a, 1, x.shape));
  Tensor y = empty(x.backend(), x.shape, DType::F32);
  if (x.numel() > 0) x.backend().softmax(x.f32(), y.f32(), v.outer, v.dim, v.inner, log);
  return wrap(a.env(), std::move(y));
}

Napi::Value softmax_backward(const Napi::CallbackInfo& info, const char* name, bool log) {
  Args a{info, name};
  const Tensor& y = a.tensor(0, "y", DType::F32);
  const Tensor& dy = a.tensor(1, "dy", DType::F32);
  require_shape(a.op, "dy", dy, y.shape);
  require_same_device(a.op, {&y, &dy});
  AxisView v = axis_view(y.shape, softmax_axis(a, 2, y.shape));
  Tensor dx = empty(y.backend(), y.shape, DType::F32);
  if (y.numel() > 0) y.backend().softmax_backward(y.f32(), dy.f32(), dx.f32(), v.outer, v.dim, v.inner, log);
  return wrap(a.env(), std::move(dx));
}

// softmax(x, axis = -1)
Napi::Value softmax(const Napi::CallbackInfo& info) { return softmax_forward(info, "softmax", false); }
// logSoftmax(x, axis = -1)
Napi::Value log_softmax(const Napi::CallbackInfo& info) { return softmax_forward(info, "logSoftmax", true); }
// softmaxBackward(y, dy, axis = -1), y = softmax(x)
Napi::Value softmax_bwd(const Napi::CallbackInfo& info) { return softmax_backward(info, "softmaxBackward", false); }
// logSoftmaxBackward(y, dy, axis = -1), y = logSoftmax(x)
Napi::Value log_softmax_bwd(const Napi::CallbackInfo& info) {
  return softmax_backward(info, "logSoftmaxBackward", true);
}

float read_smoothing(const Args& a, size_t i) {
  double ls = a.has(i) ? a.number(i, "labelSmoothing") : 0.0;
  if (!(ls >= 0.0 && ls <= 1.0)) fail(ErrorCode::Argument, a.op, ": 'labelSmoothing' must be in [0, 1], got ", ls);
  return static_cast<float>(ls);
}

// logits [N, C] float32 and labels [N] int32 in [0, C), on one device.
void check_ce_inputs(const Args& a, const char* xname, const Tensor& x, const Tensor& labels) {
  require_rank(a.op, xname, x, 2);
  require_shape(a.op, "labels", labels, {x.shape[0]});
  check_indices(a.op, "labels", labels, x.shape[1], std::to_string(x.shape[1]) + " classes");
}

// The loss of a batch from its per-row losses: the backend reduction reduce(losses, 'sum' | 'mean')
// makes, so the fused loss has the bits of the separate op.
Tensor reduce_losses(const Tensor& losses, ReduceOp op) {
  Tensor out = empty(losses.backend(), {1}, DType::F32);
  losses.backend().reduce(op, losses.f32(), out.f32(), 1, losses.shape[0], 1);
  return reshaped(out, {});
}

// Absent or 'none': the per-row losses.
std::optional<ReduceOp> read_reduction(const Args& a, size_t i) {
  if (!a.has(i)) return std::nullopt;
  const std::string r = a.string(i, "reduction");
  if (r == "sum") return ReduceOp::Sum;
  if (r == "mean") return ReduceOp::Mean;
  if (r != "none") fail(ErrorCode::Argument, a.op, ": reduction must be 'none', 'sum' or 'mean', got '", r, "'");
  return std::nullopt;
}

// crossEntropy(logits [N, C], labels int32 [N], labelSmoothing = 0, reduction = 'none')
//   -> [losses [N] (or their sum or mean, a scalar), probs [N, C]]
// Throws ValueError naming the first row whose logits are not all finite.
Napi::Value cross_entropy(const Napi::CallbackInfo& info) {
  Args a{info, "crossEntropy"};
  const Tensor& x = a.tensor(0, "logits", DType::F32);
  const Tensor& labels = a.tensor(1, "labels", DType::I32);
  float ls = read_smoothing(a, 2);
  const std::optional<ReduceOp> reduction = read_reduction(a, 3);
  require_same_device(a.op, {&x, &labels});
  check_ce_inputs(a, "logits", x, labels);
  const int64_t n = x.shape[0], c = x.shape[1];
  Backend& b = x.backend();
  Tensor losses = empty(b, {n}, DType::F32);
  Tensor probs = empty(b, x.shape, DType::F32);
  if (n == 0) return wrap_all(a.env(), {reduction ? reduce_losses(losses, *reduction) : losses, probs});
  b.cross_entropy_forward(x.f32(), labels.i32(), losses.f32(), probs.f32(), n, c, ls);
  // Backends report NaN for a row with a non-finite logit; only the per-row losses cross to the
  // host, plus the one bad row to name the culprit.
  std::vector<float> host = host_f32(losses);
  for (int64_t r = 0; r < n; ++r) {
    if (std::isfinite(host[r])) continue;
    std::vector<float> row = host_f32(x, r * c, c);
    for (int64_t j = 0; j < c; ++j)
      if (!std::isfinite(row[j]))
        fail(ErrorCode::Value, a.op, ": logits row ", r, " holds a non-finite value (",
             std::isnan(row[j]) ? "NaN" : (row[j] > 0 ? "Infinity" : "-Infinity"), " at class ", j,
             ") in logits of shape ", shape_str(x.shape), "; the training has probably diverged");
    fail(ErrorCode::Value, a.op, ": the loss of row ", r, " overflowed (logits of shape ", shape_str(x.shape),
         " are too large to give a finite loss)");
  }
  return wrap_all(a.env(), {reduction ? reduce_losses(losses, *reduction) : losses, probs});
}

// dloss [] as [N]: every row's gradient is the one of a reduced loss (the same values a copy
// with stride 0 gives).
Tensor broadcast_rows(const Tensor& dloss, int64_t n) {
  Tensor out = empty(dloss.backend(), {n}, DType::F32);
  if (n == 0) return out;
  StridedCopyArgs s{};
  s.ndim = 1;
  s.shape[0] = n;
  s.src_strides[0] = 0;
  s.dst_strides[0] = 1;
  dloss.backend().strided_copy(s, dloss.storage->data, out.storage->data, sizeof(float));
  return out;
}

// crossEntropyBackward(probs [N, C], labels [N], dloss [N] or [] (a reduced loss's gradient, the
// same for every row), labelSmoothing = 0) -> dlogits [N, C]
Napi::Value cross_entropy_backward(const Napi::CallbackInfo& info) {
  Args a{info, "crossEntropyBackward"};
  const Tensor& p = a.tensor(0, "probs", DType::F32);
  const Tensor& labels = a.tensor(1, "labels", DType::I32);
  const Tensor& dloss_in = a.tensor(2, "dloss", DType::F32);
  float ls = read_smoothing(a, 3);
  require_same_device(a.op, {&p, &labels, &dloss_in});
  check_ce_inputs(a, "probs", p, labels);
  const Tensor dloss = dloss_in.shape.empty() ? broadcast_rows(dloss_in, p.shape[0]) : dloss_in;
  require_shape(a.op, "dloss", dloss, {p.shape[0]});
  Tensor dx = empty(p.backend(), p.shape, DType::F32);
  if (p.numel() > 0)
    p.backend().cross_entropy_backward(p.f32(), labels.i32(), dloss.f32(), dx.f32(), p.shape[0], p.shape[1], ls);
  return wrap(a.env(), std::move(dx));
}

}  // namespace js_softmax

}  // namespace nn::binding
