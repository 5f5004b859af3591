// Every unary op (forward and derivative), every binary op in each launch layout the backend
// picks (general broadcasting, same-shape flat, scalar operand), and where.
#include <cmath>
#include <string>

#include "../../../native/kernels/ops.h"
#include "harness.h"

namespace kt {
namespace {

using nn::BinaryOp;
using nn::UnaryOp;

struct UnarySpec {
  UnaryOp op;
  const char* name;
  float lo, hi;  // input domain where the op is defined (and interesting)
  float alpha, beta;
};

const UnarySpec kUnary[] = {
    {UnaryOp::Neg, "neg", -3, 3, 0, 0},
    {UnaryOp::Exp, "exp", -5, 5, 0, 0},
    {UnaryOp::Log, "log", 0.05f, 4, 0, 0},
    {UnaryOp::Log1p, "log1p", -0.9f, 4, 0, 0},
    {UnaryOp::Sqrt, "sqrt", 0.05f, 4, 0, 0},
    {UnaryOp::Rsqrt, "rsqrt", 0.05f, 4, 0, 0},
    {UnaryOp::Abs, "abs", -3, 3, 0, 0},
    {UnaryOp::Sign, "sign", -3, 3, 0, 0},
    {UnaryOp::Square, "square", -3, 3, 0, 0},
    {UnaryOp::Reciprocal, "reciprocal", 0.1f, 3, 0, 0},
    {UnaryOp::Sin, "sin", -6, 6, 0, 0},
    {UnaryOp::Cos, "cos", -6, 6, 0, 0},
    {UnaryOp::Relu, "relu", -3, 3, 0, 0},
    {UnaryOp::LeakyRelu, "leaky_relu", -3, 3, 0.1f, 0},
    {UnaryOp::Elu, "elu", -3, 3, 1.3f, 0},
    {UnaryOp::Sigmoid, "sigmoid", -12, 12, 0, 0},
    {UnaryOp::Tanh, "tanh", -5, 5, 0, 0},
    {UnaryOp::Gelu, "gelu", -4, 4, 0, 0},
    {UnaryOp::Softplus, "softplus", -25, 25, 0, 0},
    {UnaryOp::Affine, "affine", -3, 3, 1.7f, -0.3f},
    {UnaryOp::Pow, "pow", 0.1f, 3, 2.5f, 0},
    {UnaryOp::Clamp, "clamp", -3, 3, -0.5f, 0.6f},
};
static_assert(sizeof(kUnary) / sizeof(kUnary[0]) == static_cast<size_t>(UnaryOp::Count), "a case per unary op");

std::vector<float> unary_input(const UnarySpec& s, size_t n) {
  std::vector<float> x = uniform(n, s.lo, s.hi, 70 + static_cast<int>(s.op));
  if (s.lo < 0 && s.hi > 0) x[3] = 0.f, x[10] = -0.f;  // the kinks of relu, abs, sign, clamp...
  x[20] = NAN, x[21] = INFINITY, x[22] = -INFINITY;    // vectorised CPU paths must treat them alike
  return x;
}

struct BinarySpec {
  BinaryOp op;
  const char* name;
};
const BinarySpec kBinary[] = {
    {BinaryOp::Add, "add"}, {BinaryOp::Sub, "sub"},         {BinaryOp::Mul, "mul"},         {BinaryOp::Div, "div"},
    {BinaryOp::Pow, "pow"}, {BinaryOp::Maximum, "maximum"}, {BinaryOp::Minimum, "minimum"}, {BinaryOp::Eq, "eq"},
    {BinaryOp::Ne, "ne"},   {BinaryOp::Lt, "lt"},           {BinaryOp::Le, "le"},           {BinaryOp::Gt, "gt"},
    {BinaryOp::Ge, "ge"},
};
static_assert(sizeof(kBinary) / sizeof(kBinary[0]) == static_cast<size_t>(BinaryOp::Count), "a case per binary op");

struct Layout {
  const char* name;
  int ndim;
  int64_t out[3], sa[3], sb[3];
  int64_t na, nb;  // operand element counts
};
const Layout kLayouts[] = {
    // a [3, 1, 5] with b [4, 1] -> [3, 4, 5]: index decoding, strides 0 on broadcast axes
    {"broadcast", 3, {3, 4, 5}, {5, 0, 1}, {0, 1, 0}, 15, 4},
    // same shape, more elements than the simulated grid has threads
    {"flat", 1, {2600, 1, 1}, {1, 0, 0}, {1, 0, 0}, 2600, 2600},
    // [5, 7] op scalar
    {"scalar", 2, {5, 7, 1}, {7, 1, 0}, {0, 0, 0}, 35, 1},
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

}  // namespace

void add_elementwise_cases(std::vector<Case>& out) {
  for (const UnarySpec& s : kUnary) {
    const size_t n = s.op == UnaryOp::Affine ? 2600 : 157;
    out.push_back({std::string("unary/") + s.name, kElementwise, [s, n](Backend& b) {
                     Mem m(b);
                     const float* x = m.in(unary_input(s, n));
                     float* y = m.out<float>(n);
                     b.unary(s.op, x, y, n, s.alpha, s.beta);
                     Outputs o;
                     o.add("y", m.get(y, n));
                     return o;
                   }});
    out.push_back({std::string("unary_backward/") + s.name, kElementwise, [s, n](Backend& b) {
                     std::vector<float> xh = unary_input(s, n), yh(n);
                     for (size_t i = 0; i < n; ++i) yh[i] = nn::unary_forward(s.op, xh[i], s.alpha, s.beta);
                     Mem m(b);
                     const float* x = m.in(xh);
                     const float* y = m.in(yh);
                     const float* dy = m.in(uniform(n, -1.f, 1.f, 99));
                     float* dx = m.out<float>(n);
                     b.unary_backward(s.op, x, y, dy, dx, n, s.alpha, s.beta);
                     Outputs o;
                     o.add("dx", m.get(dx, n));
                     return o;
                   }});
  }
  for (const Layout& l : kLayouts)
    for (const BinarySpec& s : kBinary) {
      out.push_back({std::string("binary_") + l.name + "/" + s.name, kElementwise, [l, s](Backend& b) {
                       nn::BroadcastArgs a{};
                       a.ndim = l.ndim;
                       int64_t n = 1;
                       for (int d = 0; d < l.ndim; ++d) {
                         a.out_shape[d] = l.out[d], a.a_strides[d] = l.sa[d], a.b_strides[d] = l.sb[d];
                         n *= l.out[d];
                       }
                       std::vector<float> yh = binary_input(l.nb, 81);
                       if (s.op == BinaryOp::Pow)  // a fractional exponent of a negative base is NaN
                         for (float& v : yh) v = std::isnan(v) ? v : std::fabs(v) + 0.25f;
                       Mem m(b);
                       const float* x = m.in(binary_input(l.na, 80));
                       const float* y = m.in(yh);
                       float* o = m.out<float>(n);
                       b.binary(s.op, a, x, y, o);
                       Outputs r;
                       r.add("out", m.get(o, n));
                       return r;
                     }});
    }
  out.push_back({"where", kExact, [](Backend& b) {
                   const int64_t n = 157;
                   std::vector<int32_t> c = ints(n, 0, 2, 90);
                   Mem m(b);
                   const uint8_t* cond = m.in(std::vector<uint8_t>(c.begin(), c.end()));
                   const float* x = m.in(uniform(n, -1.f, 1.f, 91));
                   const float* y = m.in(uniform(n, -1.f, 1.f, 92));
                   float* o = m.out<float>(n);
                   b.where(cond, x, y, o, n);
                   Outputs r;
                   r.add("out", m.get(o, n));
                   return r;
                 }});
}

}  // namespace kt
