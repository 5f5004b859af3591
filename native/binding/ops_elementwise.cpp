// Entry points for unary maps (and their backward), broadcasting binary ops and where.
#include <cmath>

#include "errors.h"
#include "js_functions.h"
#include "ew_util.h"

namespace nn::binding {
namespace js_elementwise {

const NamedOp<UnaryOp> kUnary[] = {
    {"neg", UnaryOp::Neg},           {"exp", UnaryOp::Exp},
    {"log", UnaryOp::Log},           {"log1p", UnaryOp::Log1p},
    {"sqrt", UnaryOp::Sqrt},         {"rsqrt", UnaryOp::Rsqrt},
    {"abs", UnaryOp::Abs},           {"sign", UnaryOp::Sign},
    {"square", UnaryOp::Square},     {"reciprocal", UnaryOp::Reciprocal},
    {"sin", UnaryOp::Sin},           {"cos", UnaryOp::Cos},
    {"relu", UnaryOp::Relu},         {"leakyRelu", UnaryOp::LeakyRelu},
    {"elu", UnaryOp::Elu},           {"sigmoid", UnaryOp::Sigmoid},
    {"tanh", UnaryOp::Tanh},         {"gelu", UnaryOp::Gelu},
    {"softplus", UnaryOp::Softplus}, {"affine", UnaryOp::Affine},
    {"pow", UnaryOp::Pow},           {"clamp", UnaryOp::Clamp},
};
static_assert(sizeof(kUnary) / sizeof(kUnary[0]) == static_cast<size_t>(UnaryOp::Count), "every UnaryOp named");

const NamedOp<BinaryOp> kBinary[] = {
    {"add", BinaryOp::Add}, {"sub", BinaryOp::Sub},         {"mul", BinaryOp::Mul},         {"div", BinaryOp::Div},
    {"pow", BinaryOp::Pow}, {"maximum", BinaryOp::Maximum}, {"minimum", BinaryOp::Minimum}, {"eq", BinaryOp::Eq},
    {"ne", BinaryOp::Ne},   {"lt", BinaryOp::Lt},           {"le", BinaryOp::Le},           {"gt", BinaryOp::Gt},
    {"ge", BinaryOp::Ge},
};
static_assert(sizeof(kBinary) / sizeof(kBinary[0]) == static_cast<size_t>(BinaryOp::Count), "every BinaryOp named");

struct UnaryParams {
  UnaryOp op;
  float alpha, beta;
};

// op name at i, optional alpha at i+1 and beta at i+2 (default 0).
UnaryParams read_unary(const Args& a, size_t i) {
  UnaryParams p;
  p.op = parse_op(a.op, a.string(i, "op"), kUnary, "unary op");
  double alpha = a.has(i + 1) ? a.number(i + 1, "alpha") : 0.0;
  double beta = a.has(i + 2) ? a.number(i + 2, "beta") : 0.0;
  if (std::isnan(alpha) || std::isnan(beta))
    fail(ErrorCode::Argument, a.op, ": alpha and beta must not be NaN (got ", alpha, ", ", beta, ")");
  if (p.op == UnaryOp::Clamp && alpha > beta)
    fail(ErrorCode::Argument, a.op, ": clamp needs min <= max, got min (alpha) ", alpha, " > max (beta) ", beta);
  p.alpha = static_cast<float>(alpha);
  p.beta = static_cast<float>(beta);
  return p;
}

// unary(x, op, alpha = 0, beta = 0)
Napi::Value unary(const Napi::CallbackInfo& info) {
  Args a{info, "unary"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  UnaryParams p = read_unary(a, 1);
  Tensor y = empty(x.backend(), x.shape, DType::F32);
  if (x.numel() > 0) x.backend().unary(p.op, x.f32(), y.f32(), x.numel(), p.alpha, p.beta);
  return wrap(a.env(), std::move(y));
}

// unaryBackward(x, y | null, dy, op, alpha = 0, beta = 0) -> dx. y = f(x) is recomputed when null.
Napi::Value unary_backward(const Napi::CallbackInfo& info) {
  Args a{info, "unaryBackward"};
  const Tensor& x = a.tensor(0, "x", DType::F32);
  const Tensor* yp = a.optional_tensor(1, "y", DType::F32);
  const Tensor& dy = a.tensor(2, "dy", DType::F32);
  UnaryParams p = read_unary(a, 3);
  if (yp) require_shape(a.op, "y", *yp, x.shape);
  require_shape(a.op, "dy", dy, x.shape);
  require_same_device(a.op, {&x, yp, &dy});
  Backend& b = x.backend();
  Tensor y;
  if (yp) {
    y = *yp;
  } else {
    y = empty(b, x.shape, DType::F32);
    if (x.numel() > 0) b.unary(p.op, x.f32(), y.f32(), x.numel(), p.alpha, p.beta);
  }
  Tensor dx = empty(b, x.shape, DType::F32);
  if (x.numel() > 0) b.unary_backward(p.op, x.f32(), y.f32(), dy.f32(), dx.f32(), x.numel(), p.alpha, p.beta);
  return wrap(a.env(), std::move(dx));
}

// binary(a, b, op) with NumPy broadcasting.
Napi::Value binary(const Napi::CallbackInfo& info) {
  Args a{info, "binary"};
  const Tensor& x = a.tensor(0, "a", DType::F32);
  const Tensor& y = a.tensor(1, "b", DType::F32);
  std::string name = a.string(2, "op");
  BinaryOp op = parse_op(a.op, name, kBinary, "binary op");
  require_same_device(a.op, {&x, &y});
  std::string label = std::string("binary '") + name + "'";
  Shape out = broadcast_shapes(x.shape, y.shape, label.c_str());
  if (out.size() > static_cast<size_t>(kMaxDims))
    fail(ErrorCode::Shape, a.op, ": result shape ", shape_str(out), " has more than ", kMaxDims, " dimensions");
  BroadcastArgs bc{};
  bc.ndim = static_cast<int>(out.size());
  Shape xs = contiguous_strides(x.shape), ys = contiguous_strides(y.shape);
  const size_t lx = out.size() - x.shape.size(), ly = out.size() - y.shape.size();
  for (size_t k = 0; k < out.size(); ++k) {
    bc.out_shape[k] = out[k];
    bc.a_strides[k] = (k < lx || x.shape[k - lx] == 1) ? 0 : xs[k - lx];
    bc.b_strides[k] = (k < ly || y.shape[k - ly] == 1) ? 0 : ys[k - ly];
  }
  Tensor r = empty(x.backend(), out, DType::F32);
  if (numel(out) > 0) x.backend().binary(op, bc, x.f32(), y.f32(), r.f32());
  return wrap(a.env(), std::move(r));
}

// where(cond uint8, a, b): cond ? a : b, all three broadcast together.
Napi::Value where(const Napi::CallbackInfo& info) {
  Args a{info, "where"};
  const Tensor& c = a.tensor(0, "cond", DType::U8);
  const Tensor& x = a.tensor(1, "a", DType::F32);
  const Tensor& y = a.tensor(2, "b", DType::F32);
  require_same_device(a.op, {&c, &x, &y});
  Shape out = broadcast_shapes(broadcast_shapes(c.shape, x.shape, "where (cond vs a)"), y.shape, "where (cond/a vs b)");
  Tensor ce = expand_to(c, out), xe = expand_to(x, out), ye = expand_to(y, out);
  Tensor r = empty(x.backend(), out, DType::F32);
  if (numel(out) > 0) x.backend().where(ce.u8(), xe.f32(), ye.f32(), r.f32(), numel(out));
  return wrap(a.env(), std::move(r));
}

Napi::Value unary_ops(const Napi::CallbackInfo& info) { return op_names(info.Env(), kUnary); }
Napi::Value binary_ops(const Napi::CallbackInfo& info) { return op_names(info.Env(), kBinary); }

}  // namespace js_elementwise

}  // namespace nn::binding
