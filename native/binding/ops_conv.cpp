// Entry points of 2-D convolution: forward and the three backward products. Every argument is
// checked here, so the backends receive consistent Conv2dArgs only.
#include <string>

#include "../kernels/conv.h"
#include "args.h"
#include "js_functions.h"
#include "conv_args.h"
#include "errors.h"

namespace nn::binding {
namespace {

constexpr int64_t kMaxExtent = int64_t(1) << 31;

void require_4d(const char* op, const char* name, const Shape& s) {
  if (s.size() != 4)
    fail(ErrorCode::Shape, op, ": '", name, "' must be 4-D (", name[0] == 'w' ? "K, C/groups, R, S" : "N, C, H, W",
         "), got shape ", shape_str(s));
}

}  // namespace

// stride, padding, dilation and groups start at argument i0, in that order.
ConvParams read_params(const Args& a, size_t i0) {
  ConvParams p;
  p.sh = a.integer(i0 + 0, "strideH", 1, kMaxExtent);
  p.sw = a.integer(i0 + 1, "strideW", 1, kMaxExtent);
  p.ph = a.integer(i0 + 2, "padH", 0, kMaxExtent);
  p.pw = a.integer(i0 + 3, "padW", 0, kMaxExtent);
  p.dh = a.integer(i0 + 4, "dilationH", 1, kMaxExtent);
  p.dw = a.integer(i0 + 5, "dilationW", 1, kMaxExtent);
  p.groups = a.integer(i0 + 6, "groups", 1, kMaxExtent);
  return p;
}

// Checks an input shape against a weight shape and the parameters; computes the output size.
Conv2dArgs conv_args(const char* op, const char* xname, const Shape& xs, const char* wname, const Shape& ws,
                     const ConvParams& p) {
  require_4d(op, xname, xs);
  require_4d(op, wname, ws);
  for (int d = 1; d < 4; ++d)
    if (xs[d] < 1)
      fail(ErrorCode::Shape, op, ": '", xname, "' ", shape_str(xs), " has an empty channel or spatial dimension");
  for (int d = 0; d < 4; ++d)
    if (ws[d] < 1) fail(ErrorCode::Shape, op, ": '", wname, "' ", shape_str(ws), " has an empty dimension");
  if (ws[0] % p.groups != 0)
    fail(ErrorCode::Shape, op, ": '", wname, "' ", shape_str(ws), " has ", ws[0],
         " output channels, which is not divisible by groups=", p.groups);
  if (ws[1] * p.groups != xs[1])
    fail(ErrorCode::Shape, op, ": '", wname, "' ", shape_str(ws), " expects ", ws[1], "*groups=", ws[1] * p.groups,
         " input channels but '", xname, "' ", shape_str(xs), " has ", xs[1]);
  Conv2dArgs c{};
  c.n = xs[0];
  c.c = xs[1];
  c.h = xs[2];
  c.w = xs[3];
  c.k = ws[0];
  c.r = ws[2];
  c.s = ws[3];
  c.stride_h = p.sh;
  c.stride_w = p.sw;
  c.pad_h = p.ph;
  c.pad_w = p.pw;
  c.dil_h = p.dh;
  c.dil_w = p.dw;
  c.groups = p.groups;
  int64_t eff_h = p.dh * (c.r - 1) + 1, eff_w = p.dw * (c.s - 1) + 1;
  if (eff_h > c.h + 2 * p.ph || eff_w > c.w + 2 * p.pw)
    fail(ErrorCode::Shape, op, ": kernel ", c.r, "x", c.s, " (dilated to ", eff_h, "x", eff_w, ") of '", wname, "' ",
         shape_str(ws), " is larger than the padded input ", c.h + 2 * p.ph, "x", c.w + 2 * p.pw, " of '", xname, "' ",
         shape_str(xs), " (padding ", p.ph, "x", p.pw, ")");
  c.oh = conv_out_size(c.h, c.r, p.sh, p.ph, p.dh);
  c.ow = conv_out_size(c.w, c.s, p.sw, p.pw, p.dw);
  if (c.oh < 1 || c.ow < 1)  // unreachable after the check above; kept as the documented contract
    fail(ErrorCode::Shape, op, ": output would be empty (", c.oh, "x", c.ow, ")");
  return c;
}

namespace js_conv {

Shape out_shape(const Conv2dArgs& c) { return {c.n, c.k, c.oh, c.ow}; }

void require_dy(const char* op, const Tensor& dy, const Conv2dArgs& c) {
  Shape want = out_shape(c);
  if (dy.shape != want)
    fail(ErrorCode::Shape, op, ": 'dy' must have the output shape ", shape_str(want), " of this convolution, got ",
         shape_str(dy.shape));
}

// What both backward passes check after reading arguments 0 and 1 (t0, t1: dy is one of them) and
// the shape: the convolution parameters from argument 3, t0 and t1 on one device, the convolution
// of xs and ws, dy of its output shape.
Conv2dArgs backward_args(const Args& a, const Tensor& t0, const Tensor& t1, const Tensor& dy, const char* xname,
                         const Shape& xs, const char* wname, const Shape& ws) {
  ConvParams p = read_params(a, 3);
  require_same_device(a.op, {&t0, &t1});
  Conv2dArgs c = conv_args(a.op, xname, xs, wname, ws, p);
  require_dy(a.op, dy, c);
  return c;
}

// conv2d(x, w, bias|null, strideH, strideW, padH, padW, dilationH, dilationW, groups) -> y
Napi::Value conv2d(const Napi::CallbackInfo& info) {
  Args a{info, "conv2d"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  const Tensor& w = a.tensor(1, "weight", DType::F32);
  const Tensor* bias = a.optional_tensor(2, "bias", DType::F32);
  ConvParams p = read_params(a, 3);
  require_same_device(a.op, {&x, &w, bias});
  Conv2dArgs c = conv_args(a.op, "x", x.shape, "weight", w.shape, p);
  if (bias && bias->shape != Shape{c.k})
    fail(ErrorCode::Shape, a.op, ": 'bias' must have shape [", c.k, "] (one per output channel of weight ",
         shape_str(w.shape), "), got ", shape_str(bias->shape));
  return output_of(a, x, out_shape(c), DType::F32, [&](Tensor& y) {
    x.backend().conv2d_forward(c, x.f32(), w.f32(), bias ? bias->f32() : nullptr, y.f32());
  });
}

// conv2dBackwardInput(dy, w, inputShape, strideH, ..., groups) -> dx of inputShape
Napi::Value conv2d_backward_input(const Napi::CallbackInfo& info) {
  Args a{info, "conv2dBackwardInput"};
  const Tensor& dy = a.tensor(0, "dy", DType::F32);
  const Tensor& w = a.tensor(1, "weight", DType::F32);
  Shape xs = a.shape(2, "inputShape");
  Conv2dArgs c = backward_args(a, dy, w, dy, "inputShape", xs, "weight", w.shape);
  return gradient_or_zeros(a, dy, xs,
                           [&](Tensor& dx) { dy.backend().conv2d_backward_input(c, dy.f32(), w.f32(), dx.f32()); });
}

// conv2dBackwardWeight(x, dy, weightShape, strideH, ..., groups) -> dw of weightShape
Napi::Value conv2d_backward_weight(const Napi::CallbackInfo& info) {
  Args a{info, "conv2dBackwardWeight"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  const Tensor& dy = a.tensor(1, "dy", DType::F32);
  Shape ws = a.shape(2, "weightShape");
  Conv2dArgs c = backward_args(a, x, dy, dy, "x", x.shape, "weightShape", ws);
  return gradient_or_zeros(a, dy, ws,
                           [&](Tensor& dw) { x.backend().conv2d_backward_weight(c, x.f32(), dy.f32(), dw.f32()); });
}

// conv2dBackwardBias(dy) -> db [K]: dy summed over batch and space.
Napi::Value conv2d_backward_bias(const Napi::CallbackInfo& info) {
  Args a{info, "conv2dBackwardBias"};
  const Tensor& dy = a.tensor(0, "dy", DType::F32);
  require_4d(a.op, "dy", dy.shape);
  Conv2dArgs c{};
  c.n = dy.shape[0];
  c.k = dy.shape[1];
  c.oh = dy.shape[2];
  c.ow = dy.shape[3];
  c.groups = 1;
  return gradient_or_zeros(a, dy, {c.k}, [&](Tensor& db) { dy.backend().conv2d_backward_bias(c, dy.f32(), db.f32()); });
}

}  // namespace js_conv

}  // namespace nn::binding
