// Runners of the reductions (sum, mean, max, min) and argmax over rows (one block per row: warp
// shuffles and shared memory) and over strided columns, softmax / log-softmax forward and
// backward in both layouts, and the fused cross-entropy forward and backward.
#include <cmath>
#include <string>

#include "../../../native/kernels/ops.h"
#include "harness.h"

namespace kt {
namespace {

using nn::ReduceOp;

// x viewed as [outer, dim, inner], reduced over dim.
struct Shape3 {
  int64_t outer, dim, inner;
  explicit Shape3(const std::vector<int64_t>& s) : outer(s[0]), dim(s[1]), inner(s.size() > 2 ? s[2] : 1) {}
  int64_t total() const { return outer * dim * inner; }
};

// Eighths of integers: ties for argmax, exact partial sums. With `specials`, row 0 of the first
// column group holds a NaN and the second row is all -inf.
std::vector<float> reduce_input(const Shape3& s, bool specials) {
  std::vector<int32_t> q = ints(s.total(), -20, 21, 100 + s.dim);
  std::vector<float> x(q.begin(), q.end());
  for (float& v : x) v *= 0.125f;
  if (specials) {
    x[s.inner * 2] = NAN;
    if (s.outer > 1)
      for (int64_t d = 0; d < s.dim; ++d) x[(s.dim + d) * s.inner] = -INFINITY;
  }
  return x;
}

const std::pair<ReduceOp, const char*> kReduceOps[] = {
    {ReduceOp::Sum, "sum"}, {ReduceOp::Mean, "mean"}, {ReduceOp::Max, "max"}, {ReduceOp::Min, "min"}};

// Row-wise softmax of the inputs in double, as the backward cases' y.
std::vector<float> host_softmax(const std::vector<float>& x, const Shape3& s, bool log) {
  std::vector<float> y(x.size());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      auto at = [&](int64_t d) { return (o * s.dim + d) * s.inner + i; };
      double m = -INFINITY, sum = 0;
      for (int64_t d = 0; d < s.dim; ++d) m = std::max(m, static_cast<double>(x[at(d)]));
      for (int64_t d = 0; d < s.dim; ++d) sum += std::exp(x[at(d)] - m);
      for (int64_t d = 0; d < s.dim; ++d)
        y[at(d)] = static_cast<float>(log ? (x[at(d)] - m) - std::log(sum) : std::exp(x[at(d)] - m) / sum);
    }
  return y;
}

// Softmax inputs; `masked` as in attention: -inf entries in every line, and one line masked
// entirely (0/0: NaN).
std::vector<float> softmax_input(const Shape3& s, bool masked) {
  std::vector<float> x = uniform(s.total(), -8.f, 8.f, masked ? 112 : 110);
  if (!masked) return x;
  for (size_t i = 0; i < x.size(); i += 3) x[i] = -INFINITY;
  for (int64_t d = 0; d < s.dim; ++d) x[d * s.inner] = -INFINITY;  // line (0, 0)
  return x;
}

// Logits [n, c] with a dominant logit (the max subtraction must keep exp finite).
std::vector<float> logits(int64_t n, int64_t c, bool nan_row) {
  std::vector<float> x = uniform(n * c, -6.f, 6.f, 120);
  x[0] += 40.f;
  if (nan_row) x[c + 3] = NAN;
  return x;
}

}  // namespace

void add_reduce_runners(Runners& r) {
  r["reduce"] = [](Backend& b, const Entry& e) {
    const Shape3 s(e.shape("x"));
    ReduceOp op = ReduceOp::Sum;
    for (auto& [o, name] : kReduceOps)
      if (e.str("op") == name) op = o;
    Mem m(b);
    const float* x = m.in(reduce_input(s, e.flag("specials")));
    float* y = m.out<float>(s.outer * s.inner);
    b.reduce(op, x, y, s.outer, s.dim, s.inner);
    return Outputs::of("y", m.get(y, s.outer * s.inner));
  };
  r["squared_diff_reduce"] = [](Backend& b, const Entry& e) {
    int64_t n = 1;
    for (int64_t d : e.shape("x")) n *= d;
    Mem m(b);
    const float *x = m.in(uniform(n, -2.f, 2.f, 130)), *t = m.in(uniform(n, -2.f, 2.f, 131));
    float* diff = m.out<float>(n);
    float* y = m.out<float>(1);
    b.squared_diff_reduce(e.str("op") == "mean" ? ReduceOp::Mean : ReduceOp::Sum, x, t, diff, y, n);
    Outputs o = Outputs::of("diff", m.get(diff, n));
    o.add("y", m.get(y, 1));
    return o;
  };
  r["argmax"] = [](Backend& b, const Entry& e) {
    const Shape3 s(e.shape("x"));
    Mem m(b);
    const float* x = m.in(reduce_input(s, e.flag("specials")));
    int32_t* y = m.out<int32_t>(s.outer * s.inner);
    b.argmax(x, y, s.outer, s.dim, s.inner);
    Outputs o;
    o.add_exact("index", m.get(y, s.outer * s.inner));
    return o;
  };
  r["softmax"] = [](Backend& b, const Entry& e) {
    const Shape3 s(e.shape("x"));
    Mem m(b);
    const float* x = m.in(softmax_input(s, e.flag("masked")));
    float* y = m.out<float>(s.total());
    b.softmax(x, y, s.outer, s.dim, s.inner, e.flag("log"));
    return Outputs::of("y", m.get(y, s.total()));
  };
  r["softmax_backward"] = [](Backend& b, const Entry& e) {
    const Shape3 s(e.shape("x"));
    const bool log = e.flag("log");
    Mem m(b);
    const float* y = m.in(host_softmax(softmax_input(s, false), s, log));
    const float* dy = m.in(uniform(s.total(), -1.f, 1.f, 111));
    float* dx = m.out<float>(s.total());
    b.softmax_backward(y, dy, dx, s.outer, s.dim, s.inner, log);
    return Outputs::of("dx", m.get(dx, s.total()));
  };
  r["cross_entropy_forward"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.dim("logits", 0), c = e.dim("logits", 1);
    Mem m(b);
    const float* x = m.in(logits(n, c, e.flag("nan_row")));
    const int32_t* labels = m.in(ints(n, 0, static_cast<int32_t>(c), 121));
    float* losses = m.out<float>(n);
    float* probs = m.out<float>(n * c);
    b.cross_entropy_forward(x, labels, losses, probs, n, c, e.f("label_smoothing"));
    Outputs o = Outputs::of("losses", m.get(losses, n));
    o.add("probs", m.get(probs, n * c));
    return o;
  };
  r["cross_entropy_backward"] = [](Backend& b, const Entry& e) {
    const int64_t n = e.dim("logits", 0), c = e.dim("logits", 1);
    Mem m(b);
    const float* probs = m.in(host_softmax(logits(n, c, false), Shape3({n, c, 1}), false));
    const int32_t* labels = m.in(ints(n, 0, static_cast<int32_t>(c), 121));
    const float* dloss = m.in(uniform(n, 0.1f, 1.f, 122));
    float* dx = m.out<float>(n * c);
    b.cross_entropy_backward(probs, labels, dloss, dx, n, c, e.f("label_smoothing"));
    return Outputs::of("dlogits", m.get(dx, n * c));
  };
}

}  // namespace kt
