// Adam / AdamW steps (vector kernels on x86, the portable loop elsewhere) against the update
// rule in double precision, and exact k-NN on bytes (exhaustive and projection-pruned) against
// brute force: distances must be equal, and each index must have its distance.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "harness.h"

namespace ct {
namespace {

void check_adam(Check& ck, bool decoupled, float wd, int64_t n, uint64_t seed) {
  nn::AdamArgs a{};
  a.lr = 1e-2f;
  a.beta1 = 0.9f;
  a.beta2 = 0.999f;
  a.eps = 1e-8f;
  a.weight_decay = wd;
  a.decoupled = decoupled;
  auto p = uniform(n, -1.f, 1.f, seed), m = uniform(n, -0.1f, 0.1f, seed + 1), v = uniform(n, 0.f, 0.01f, seed + 2);
  const auto g = uniform(n, -1.f, 1.f, seed + 3);
  std::vector<double> wp(n), wm(n), wv(n);
  for (int64_t step = 1; step <= 3; ++step) {
    a.step = step;
    const double bc1 = 1 - std::pow(double(a.beta1), step), bc2 = 1 - std::pow(double(a.beta2), step);
    for (int64_t i = 0; i < n; ++i) {
      double pi = p[i], gi = g[i];
      if (decoupled)
        pi *= 1 - double(a.lr) * wd;
      else
        gi += wd * pi;
      const double mi = a.beta1 * double(m[i]) + (1 - double(a.beta1)) * gi;
      const double vi = a.beta2 * double(v[i]) + (1 - double(a.beta2)) * gi * gi;
      wm[i] = mi;
      wv[i] = vi;
      wp[i] = pi - a.lr / bc1 * mi / (std::sqrt(vi) / std::sqrt(bc2) + a.eps);
    }
    nn::ParamSlot slot{p.data(), g.data(), m.data(), v.data(), n};
    B().adam_step(a, &slot, 1);
    const std::string tag = std::string(decoupled ? "adamw" : "adam") + " step " + std::to_string(step);
    ck.near(tag + " p", p, wp, 1e-6, 1e-6);
    ck.near(tag + " m", m, wm, 1e-6, 1e-8);
    ck.near(tag + " v", v, wv, 1e-5, 1e-10);
    // The next step starts from the kernel's own state, so errors do not compound.
  }
}

void adam(Check& ck) {
  check_adam(ck, false, 0.f, 1001, 1);
  check_adam(ck, false, 0.01f, 77, 2);
  check_adam(ck, true, 0.05f, 515, 3);
}

void pairwise(Check& ck) {
  const int64_t m = 13, n = 29, dim = 70;
  const auto a = uniform(m * dim, -1.f, 1.f, 5), b = uniform(n * dim, -1.f, 1.f, 6);
  std::vector<double> want(m * n), bound(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0, abs = 0;
      for (int64_t d = 0; d < dim; ++d) {
        const double x = a[i * dim + d], y = b[j * dim + d];
        s += (x - y) * (x - y);
        abs += x * x + y * y + 2 * std::fabs(x * y);
      }
      want[i * n + j] = s;
      bound[i * n + j] = dot_bound(3 * dim, abs);  // |a|^2 + |b|^2 - 2ab: three sums
    }
  std::vector<float> got(m * n);
  B().pairwise_sqdist(a.data(), b.data(), got.data(), m, n, dim);
  ck.close("sqdist", got, want, bound);
}

void check_knn(Check& ck, int64_t n, int64_t m, int64_t dim, int64_t k, int64_t proj, uint64_t seed) {
  const auto tf = uniform(n * dim, 0.f, 256.f, seed), qf = uniform(m * dim, 0.f, 256.f, seed + 1);
  std::vector<uint8_t> train(tf.begin(), tf.end()), queries(qf.begin(), qf.end());
  auto sq = [&](int64_t q, int64_t t) {
    int32_t s = 0;
    for (int64_t d = 0; d < dim; ++d) {
      const int32_t e = int32_t(queries[q * dim + d]) - int32_t(train[t * dim + d]);
      s += e * e;
    }
    return s;
  };
  std::vector<int32_t> want(m * k);
  for (int64_t q = 0; q < m; ++q) {
    std::vector<int32_t> all(n);
    for (int64_t t = 0; t < n; ++t) all[t] = sq(q, t);
    std::partial_sort(all.begin(), all.begin() + k, all.end());
    std::copy(all.begin(), all.begin() + k, want.begin() + q * k);
  }
  nn::KnnExactArgs a;
  a.n = n;
  a.m = m;
  a.dim = dim;
  a.k = k;
  a.proj_dim = proj;
  std::vector<int32_t> idx(m * k), dist(m * k), own(m * k);
  B().knn_exact(a, train.data(), queries.data(), idx.data(), dist.data());
  for (int64_t q = 0; q < m; ++q)
    for (int64_t j = 0; j < k; ++j) {
      const int32_t t = idx[q * k + j];
      own[q * k + j] = t >= 0 && t < n ? sq(q, t) : -1;
    }
  const std::string tag = "knn proj " + std::to_string(proj);
  ck.equal(tag + " distances", dist, want);
  ck.equal(tag + " distance of each index", own, dist);
}

void knn(Check& ck) {
  check_knn(ck, 300, 21, 100, 5, 0, 7);
  check_knn(ck, 700, 17, 196, 3, 16, 8);
}

}  // namespace

// tanh and sigmoid (kernels/activation_math.h) within their stated ulp bounds of double precision
// on floats of every binade (a hash of the index scattered over all bit patterns) and specials:
// on aarch64 this is the portable loop's check, the JS tests cover the x86 paths.
void activations(Check& ck) {
  const int64_t n = int64_t(1) << 20;
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t u = static_cast<uint32_t>(i) * 0x9e3779b1u;
    std::memcpy(&x[i], &u, 4);
  }
  const float specials[] = {0.f, -0.f, INFINITY, -INFINITY, NAN, 1e-40f, -1e-40f, 9.1f, -9.1f, 17.4f, -103.98f, -100.f};
  std::copy(std::begin(specials), std::end(specials), x.begin());
  for (const bool tanh_op : {true, false}) {
    std::vector<float> y(n);
    B().unary(tanh_op ? nn::UnaryOp::Tanh : nn::UnaryOp::Sigmoid, x.data(), y.data(), n, 0.f, 0.f);
    std::vector<float> got;  // the non-NaN inputs' results
    std::vector<double> want, bound;
    for (int64_t i = 0; i < n; ++i) {
      if (std::isnan(x[i])) continue;
      const double v = x[i], w = tanh_op ? std::tanh(v) : 1.0 / (1.0 + std::exp(-v));
      int e = 0;
      std::frexp(w, &e);  // |w| in [2^(e-1), 2^e)
      got.push_back(y[i]);
      want.push_back(w);
      bound.push_back((tanh_op ? 1.5 : 2.5) * std::ldexp(1.0, std::max(e - 1, -126) - 23));
    }
    ck.close(tanh_op ? "tanh" : "sigmoid", got, want, bound);
    const std::vector<float> exact =
        tanh_op ? std::vector<float>{0.f, -0.f, 1.f, -1.f} : std::vector<float>{0.5f, 0.5f, 1.f, 0.f};
    ck.equal(tanh_op ? "tanh specials" : "sigmoid specials", std::vector<float>(y.begin(), y.begin() + 4), exact);
    if (!std::isnan(y[4]) || std::signbit(y[1]) != tanh_op) ck.fail("NaN or -0 not passed through");
  }
}

void add_misc_cases(std::vector<Case>& out) {
  out.push_back({"elementwise/tanh-sigmoid-ulp", activations});
  out.push_back({"optim/adam", adam});
  out.push_back({"knn/pairwise-sqdist", pairwise});
  out.push_back({"knn/exact", knn});
}

}  // namespace ct
