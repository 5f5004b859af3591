// Reductions (sum, mean, max, min) and argmax over rows (one block per row: warp shuffles and
// shared memory) and over strided columns, softmax / log-softmax forward and backward in both
// layouts, and the fused cross-entropy forward and backward with and without label smoothing.
#include <cmath>
#include <string>

#include "../../../native/kernels/ops.h"
#include "harness.h"

namespace kt {
namespace {

using nn::ReduceOp;

struct Shape3 {
  const char* name;
  int64_t outer, dim, inner;
  int64_t total() const { return outer * dim * inner; }
};

// dim 300 > 256 threads: every thread strides over the row, all 8 warps join the tree, and the
// column kernel crosses its 256-row partial sums. The "specials" rows hold a NaN and -inf.
const Shape3 kReduceShapes[] = {
    {"rows_5x300", 5, 300, 1},
    {"rows_7x37", 7, 37, 1},
    {"cols_3x7x11", 3, 7, 11},
    {"cols_2x300x3", 2, 300, 3},
};

std::vector<float> reduce_input(const Shape3& s, bool specials) {
  std::vector<int32_t> q = ints(s.total(), -20, 21, 100 + s.dim);
  std::vector<float> x(q.begin(), q.end());
  for (float& v : x) v *= 0.125f;  // ties for argmax, exact partial sums
  if (specials) {
    x[s.inner * 2] = NAN;  // row 0 of the first column group
    if (s.outer > 1)
      for (int64_t d = 0; d < s.dim; ++d) x[(s.dim + d) * s.inner] = -INFINITY;  // a whole -inf row
  }
  return x;
}

const struct {
  ReduceOp op;
  const char* name;
} kReduceOps[] = {{ReduceOp::Sum, "sum"}, {ReduceOp::Mean, "mean"}, {ReduceOp::Max, "max"}, {ReduceOp::Min, "min"}};

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

const Shape3 kSoftmaxShapes[] = {
    {"rows_4x67", 4, 67, 1},
    {"rows_3x300", 3, 300, 1},
    {"cols_3x5x7", 3, 5, 7},
};

// Attention-style masks: -inf entries in every line, and one line masked entirely (0/0: NaN).
std::vector<float> masked_input(const Shape3& s) {
  std::vector<float> x = uniform(s.total(), -8.f, 8.f, 112);
  for (size_t i = 0; i < x.size(); i += 3) x[i] = -INFINITY;
  for (int64_t d = 0; d < s.dim; ++d) x[d * s.inner] = -INFINITY;  // line (0, 0)
  return x;
}

}  // namespace

void add_reduce_cases(std::vector<Case>& out) {
  for (const Shape3& s : kReduceShapes) {
    for (auto r : kReduceOps)
      for (bool specials : {false, true}) {
        if (specials && r.op != ReduceOp::Max && r.op != ReduceOp::Sum) continue;
        std::string name = std::string("reduce_") + r.name + "/" + s.name + (specials ? "_nan_inf" : "");
        out.push_back({name, kAccumulate, [s, r, specials](Backend& b) {
                         Mem m(b);
                         const float* x = m.in(reduce_input(s, specials));
                         float* y = m.out<float>(s.outer * s.inner);
                         b.reduce(r.op, x, y, s.outer, s.dim, s.inner);
                         Outputs o;
                         o.add("y", m.get(y, s.outer * s.inner));
                         return o;
                       }});
      }
    for (bool specials : {false, true})
      out.push_back({std::string("argmax/") + s.name + (specials ? "_nan_inf" : ""), kExact, [s, specials](Backend& b) {
                       Mem m(b);
                       const float* x = m.in(reduce_input(s, specials));
                       int32_t* y = m.out<int32_t>(s.outer * s.inner);
                       b.argmax(x, y, s.outer, s.dim, s.inner);
                       Outputs o;
                       o.add_exact("index", m.get(y, s.outer * s.inner));
                       return o;
                     }});
  }
  // An empty reduced axis: sums are 0, means NaN.
  for (auto r : {kReduceOps[0], kReduceOps[1]})
    out.push_back({std::string("reduce_") + r.name + "/rows_3x0", kExact, [r](Backend& b) {
                     Mem m(b);
                     const float* x = m.in(std::vector<float>{});
                     float* y = m.out<float>(3);
                     b.reduce(r.op, x, y, 3, 0, 1);
                     Outputs o;
                     o.add("y", m.get(y, 3));
                     return o;
                   }});

  for (const Shape3& s : kSoftmaxShapes)
    for (bool log : {false, true}) {
      const std::string kind = log ? "log_softmax" : "softmax";
      out.push_back({kind + "/" + s.name, kAccumulate, [s, log](Backend& b) {
                       Mem m(b);
                       const float* x = m.in(uniform(s.total(), -8.f, 8.f, 110));
                       float* y = m.out<float>(s.total());
                       b.softmax(x, y, s.outer, s.dim, s.inner, log);
                       Outputs o;
                       o.add("y", m.get(y, s.total()));
                       return o;
                     }});
      out.push_back({kind + "_backward/" + s.name, kAccumulate, [s, log](Backend& b) {
                       Mem m(b);
                       const float* y = m.in(host_softmax(uniform(s.total(), -8.f, 8.f, 110), s, log));
                       const float* dy = m.in(uniform(s.total(), -1.f, 1.f, 111));
                       float* dx = m.out<float>(s.total());
                       b.softmax_backward(y, dy, dx, s.outer, s.dim, s.inner, log);
                       Outputs o;
                       o.add("dx", m.get(dx, s.total()));
                       return o;
                     }});
    }

  for (const Shape3& s : {kSoftmaxShapes[0], kSoftmaxShapes[2]})
    for (bool log : {false, true})
      out.push_back(
          {std::string(log ? "log_softmax" : "softmax") + "/masked_" + s.name, kAccumulate, [s, log](Backend& b) {
             Mem m(b);
             const float* x = m.in(masked_input(s));
             float* y = m.out<float>(s.total());
             b.softmax(x, y, s.outer, s.dim, s.inner, log);
             Outputs o;
             o.add("y", m.get(y, s.total()));
             return o;
           }});

  struct CeSpec {
    const char* name;
    int64_t n, c;
    float ls;
    bool nan_row;
  };
  const CeSpec ces[] = {{"5x37", 5, 37, 0.f, false},
                        {"5x37_smooth", 5, 37, 0.1f, false},
                        {"3x300_smooth", 3, 300, 0.2f, false},
                        {"4x10_nan_row", 4, 10, 0.f, true}};
  for (const CeSpec& s : ces) {
    out.push_back({std::string("cross_entropy/forward_") + s.name, kAccumulate, [s](Backend& b) {
                     std::vector<float> logits = uniform(s.n * s.c, -6.f, 6.f, 120);
                     logits[0] += 40.f;  // a dominant logit: the max subtraction must keep exp finite
                     if (s.nan_row) logits[s.c + 3] = NAN;
                     Mem m(b);
                     const float* x = m.in(logits);
                     const int32_t* labels = m.in(ints(s.n, 0, static_cast<int32_t>(s.c), 121));
                     float* losses = m.out<float>(s.n);
                     float* probs = m.out<float>(s.n * s.c);
                     b.cross_entropy_forward(x, labels, losses, probs, s.n, s.c, s.ls);
                     Outputs o;
                     o.add("losses", m.get(losses, s.n));
                     o.add("probs", m.get(probs, s.n * s.c));
                     return o;
                   }});
    out.push_back({std::string("cross_entropy/backward_") + s.name, kElementwise, [s](Backend& b) {
                     Shape3 rows{"", s.n, s.c, 1};
                     Mem m(b);
                     const float* probs = m.in(host_softmax(uniform(s.n * s.c, -6.f, 6.f, 120), rows, false));
                     const int32_t* labels = m.in(ints(s.n, 0, static_cast<int32_t>(s.c), 121));
                     const float* dloss = m.in(uniform(s.n, 0.1f, 1.f, 122));
                     float* dx = m.out<float>(s.n * s.c);
                     b.cross_entropy_backward(probs, labels, dloss, dx, s.n, s.c, s.ls);
                     Outputs o;
                     o.add("dlogits", m.get(dx, s.n * s.c));
                     return o;
                   }});
  }
}

}  // namespace kt
