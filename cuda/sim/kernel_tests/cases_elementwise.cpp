// Runners of the unary ops (forward and derivative), the binary ops in the launch layouts the
// table lists (general broadcasting, same-shape flat, scalar operand), and where.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "../../../native/kernels/ops.h"
#include "harness.h"

namespace kt {
namespace {

using nn::BinaryOp;
using nn::UnaryOp;

// Ops by the names of the case table (the addon's names).
const std::pair<UnaryOp, const char*> kUnary[] = {
    {UnaryOp::Neg, "neg"},           {UnaryOp::Exp, "exp"},
    {UnaryOp::Log, "log"},           {UnaryOp::Log1p, "log1p"},
    {UnaryOp::Sqrt, "sqrt"},         {UnaryOp::Rsqrt, "rsqrt"},
    {UnaryOp::Abs, "abs"},           {UnaryOp::Sign, "sign"},
    {UnaryOp::Square, "square"},     {UnaryOp::Reciprocal, "reciprocal"},
    {UnaryOp::Sin, "sin"},           {UnaryOp::Cos, "cos"},
    {UnaryOp::Relu, "relu"},         {UnaryOp::LeakyRelu, "leakyRelu"},
    {UnaryOp::Elu, "elu"},           {UnaryOp::Sigmoid, "sigmoid"},
    {UnaryOp::Tanh, "tanh"},         {UnaryOp::Gelu, "gelu"},
    {UnaryOp::Softplus, "softplus"}, {UnaryOp::Affine, "affine"},
    {UnaryOp::Pow, "pow"},           {UnaryOp::Clamp, "clamp"},
};
static_assert(sizeof(kUnary) / sizeof(kUnary[0]) == static_cast<size_t>(UnaryOp::Count), "a name per unary op");

const std::pair<BinaryOp, const char*> kBinary[] = {
    {BinaryOp::Add, "add"}, {BinaryOp::Sub, "sub"},         {BinaryOp::Mul, "mul"},         {BinaryOp::Div, "div"},
    {BinaryOp::Pow, "pow"}, {BinaryOp::Maximum, "maximum"}, {BinaryOp::Minimum, "minimum"}, {BinaryOp::Eq, "eq"},
    {BinaryOp::Ne, "ne"},   {BinaryOp::Lt, "lt"},           {BinaryOp::Le, "le"},           {BinaryOp::Gt, "gt"},
    {BinaryOp::Ge, "ge"},
};
static_assert(sizeof(kBinary) / sizeof(kBinary[0]) == static_cast<size_t>(BinaryOp::Count), "a name per binary op");

template <typename Op, size_t N>
Op op_named(const std::pair<Op, const char*> (&ops)[N], const std::string& name) {
  for (auto& [op, n] : ops)
    if (name == n) return op;
  throw std::runtime_error("case table: unknown elementwise op '" + name + "'");
}

struct Unary {
  UnaryOp op;
  float alpha, beta;
  int64_t n;
  std::vector<float> x;
  explicit Unary(const Entry& e)
      : op(op_named(kUnary, e.str("op"))), alpha(e.f("alpha")), beta(e.f("beta")), n(e.numel("x")) {
    const float lo = e.f("lo"), hi = e.f("hi");
    x = uniform(n, lo, hi, 70 + static_cast<int>(op));
    if (lo < 0 && hi > 0) x[3] = 0.f, x[10] = -0.f;    // the kinks of relu, abs, sign, clamp...
    x[20] = NAN, x[21] = INFINITY, x[22] = -INFINITY;  // vectorised CPU paths must treat them alike
  }
};

// Half-step values make equal pairs (Eq, Le, Ge ties) common; a few NaNs check comparisons
// and maximum/minimum propagation.
std::vector<float> binary_input(int64_t n, uint64_t seed) {
  std::vector<int32_t> q = ints(n, -6, 7, seed);
  std::vector<float> v(q.begin(), q.end());
  for (float& x : v) x *= 0.5f;
  if (n > 7) v[7] = NAN;
  return v;
}

// Numpy broadcasting of shapes a and b: the output shape, strides 0 on broadcast axes.
nn::BroadcastArgs broadcast(std::vector<int64_t> a, std::vector<int64_t> b, int64_t& n) {
  const size_t nd = std::max(a.size(), b.size());
  a.insert(a.begin(), nd - a.size(), 1), b.insert(b.begin(), nd - b.size(), 1);
  nn::BroadcastArgs r{};
  r.ndim = static_cast<int>(nd);
  int64_t sa = 1, sb = 1;
  n = 1;
  for (int d = static_cast<int>(nd) - 1; d >= 0; --d) {
    r.out_shape[d] = std::max(a[d], b[d]);
    r.a_strides[d] = a[d] == 1 ? 0 : sa, r.b_strides[d] = b[d] == 1 ? 0 : sb;
    sa *= a[d], sb *= b[d], n *= r.out_shape[d];
  }
  return r;
}

}  // namespace

void add_elementwise_runners(Runners& r) {
  r["unary"] = [](Backend& b, const Entry& e) {
    Unary u(e);
    Mem m(b);
    const float* x = m.in(u.x);
    float* y = m.out<float>(u.n);
    b.unary(u.op, x, y, u.n, u.alpha, u.beta);
    return Outputs::of("y", m.get(y, u.n));
  };
  r["unary_backward"] = [](Backend& b, const Entry& e) {
    Unary u(e);
    std::vector<float> yh(u.n);
    for (int64_t i = 0; i < u.n; ++i) yh[i] = nn::unary_forward(u.op, u.x[i], u.alpha, u.beta);
    Mem m(b);
    const float *x = m.in(u.x), *y = m.in(yh), *dy = m.in(uniform(u.n, -1.f, 1.f, 99));
    float* dx = m.out<float>(u.n);
    b.unary_backward(u.op, x, y, dy, dx, u.n, u.alpha, u.beta);
    return Outputs::of("dx", m.get(dx, u.n));
  };
  r["binary"] = [](Backend& b, const Entry& e) {
    const BinaryOp op = op_named(kBinary, e.str("op"));
    int64_t n;
    const nn::BroadcastArgs a = broadcast(e.shape("a"), e.shape("b"), n);
    std::vector<float> yh = binary_input(e.numel("b"), 81);
    if (op == BinaryOp::Pow)  // a fractional exponent of a negative base is NaN
      for (float& v : yh) v = std::isnan(v) ? v : std::fabs(v) + 0.25f;
    Mem m(b);
    const float *x = m.in(binary_input(e.numel("a"), 80)), *y = m.in(yh);
    float* o = m.out<float>(n);
    b.binary(op, a, x, y, o);
    return Outputs::of("out", m.get(o, n));
  };
  r["where"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.numel("x");
    std::vector<int32_t> c = ints(n, 0, 2, 90);
    Mem m(b);
    const uint8_t* cond = m.in(std::vector<uint8_t>(c.begin(), c.end()));
    const float *x = m.in(uniform(n, -1.f, 1.f, 91)), *y = m.in(uniform(n, -1.f, 1.f, 92));
    float* o = m.out<float>(n);
    b.where(cond, x, y, o, n);
    return Outputs::of("out", m.get(o, n));
  };
}

}  // namespace kt
