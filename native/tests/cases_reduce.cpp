// Reductions and softmax over [outer, dim, inner] views: along the last axis (inner = 1, the
// row kernels) and along a middle axis (the column kernels).
#include <algorithm>
#include <cmath>

#include "harness.h"

namespace ct {
namespace {

using nn::ReduceOp;

void check_reduce(Check& ck, int64_t outer, int64_t dim, int64_t inner, uint64_t seed) {
  const auto x = uniform(outer * dim * inner, -2.f, 2.f, seed);
  const ReduceOp ops[] = {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min};
  const char* names[] = {"sum", "mean", "max", "min"};
  for (int o = 0; o < 4; ++o) {
    std::vector<double> want(outer * inner), bound(outer * inner);
    for (int64_t i = 0; i < outer; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        double s = 0, abs = 0, mx = -1e30, mn = 1e30;
        for (int64_t d = 0; d < dim; ++d) {
          const double v = x[(i * dim + d) * inner + j];
          s += v;
          abs += std::fabs(v);
          mx = std::max(mx, v);
          mn = std::min(mn, v);
        }
        const double r[] = {s, s / dim, mx, mn};
        want[i * inner + j] = r[o];
        bound[i * inner + j] = o >= 2 ? 0.0 : dot_bound(dim, o == 1 ? abs / dim : abs);
      }
    std::vector<float> got(outer * inner);
    B().reduce(ops[o], x.data(), got.data(), outer, dim, inner);
    ck.close(std::string(names[o]) + " " + std::to_string(dim) + "x" + std::to_string(inner), got, want, bound);
  }
}

void reductions(Check& ck) {
  check_reduce(ck, 7, 1000, 1, 1);
  check_reduce(ck, 3, 37, 1, 2);
  check_reduce(ck, 4, 19, 33, 3);
  check_reduce(ck, 2, 5, 300, 4);
}

void check_softmax(Check& ck, int64_t outer, int64_t dim, int64_t inner, bool log, uint64_t seed) {
  const size_t n = outer * dim * inner;
  const auto x = uniform(n, -6.f, 6.f, seed), dy = uniform(n, -1.f, 1.f, seed + 1);
  std::vector<double> y(n), dx(n);
  std::vector<float> yf(n);  // the kernel's own y feeds its backward, so the reference uses it too
  B().softmax(x.data(), yf.data(), outer, dim, inner, log);
  for (int64_t i = 0; i < outer; ++i)
    for (int64_t j = 0; j < inner; ++j) {
      auto at = [&](int64_t d) { return (i * dim + d) * inner + j; };
      double mx = -1e30, sum = 0, dot = 0;
      for (int64_t d = 0; d < dim; ++d) mx = std::max<double>(mx, x[at(d)]);
      for (int64_t d = 0; d < dim; ++d) sum += std::exp(x[at(d)] - mx);
      for (int64_t d = 0; d < dim; ++d) {
        const double p = std::exp(x[at(d)] - mx) / sum;
        y[at(d)] = log ? std::log(p) : p;
        dot += log ? dy[at(d)] : double(dy[at(d)]) * yf[at(d)];
      }
      for (int64_t d = 0; d < dim; ++d) {
        const double yd = yf[at(d)];
        dx[at(d)] = log ? dy[at(d)] - std::exp(yd) * dot : yd * (dy[at(d)] - dot);
      }
    }
  std::vector<float> gdx(n);
  B().softmax_backward(yf.data(), dy.data(), gdx.data(), outer, dim, inner, log);
  const std::string tag =
      std::string(log ? "log_softmax " : "softmax ") + std::to_string(dim) + "x" + std::to_string(inner);
  ck.near(tag + " y", yf, y, 2e-5, 1e-7);
  ck.near(tag + " dx", gdx, dx, 2e-5, 1e-6);
}

void softmax(Check& ck) {
  uint64_t seed = 10;
  for (bool log : {false, true}) {
    check_softmax(ck, 9, 10, 1, log, seed += 2);
    check_softmax(ck, 3, 1000, 1, log, seed += 2);
    check_softmax(ck, 4, 7, 45, log, seed += 2);
  }
}

}  // namespace

void add_reduce_cases(std::vector<Case>& out) {
  out.push_back({"reduce/sum-mean-max-min", reductions});
  out.push_back({"softmax/forward-backward", softmax});
}

}  // namespace ct
