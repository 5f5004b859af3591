// Runners of pooling (max with indices, average with and without counted padding, adaptive
// average; forward and backward) and batch normalisation (training forward with running
// statistics, evaluation, backward).
#include <cmath>
#include <string>

#include "../../../native/kernels/pool.h"
#include "harness.h"

namespace kt {
namespace {

// x [N, C, H, W]; a window, stride and padding as [h, w], or an adaptive output size `out`.
nn::Pool2dArgs pool_args(const Entry& e) {
  const std::vector<int64_t> x = e.shape("x");
  nn::Pool2dArgs a{};
  a.n = x[0], a.c = x[1], a.h = x[2], a.w = x[3];
  if (e.params.has("out")) {
    a.oh = e.list("out")[0], a.ow = e.list("out")[1];
    return a;
  }
  const std::vector<int64_t> k = e.list("kernel"), s = e.list("stride"), p = e.list("pad");
  a.kh = k[0], a.kw = k[1], a.stride_h = s[0], a.stride_w = s[1], a.pad_h = p[0], a.pad_w = p[1];
  a.count_include_pad = e.flag("count_include_pad");
  a.oh = nn::pool_out_size(a.h, a.kh, a.stride_h, a.pad_h);
  a.ow = nn::pool_out_size(a.w, a.kw, a.stride_w, a.pad_w);
  return a;
}

struct Pool {
  nn::Pool2dArgs a;
  int64_t nx, ny;
  Mem m;
  Pool(Backend& b, const Entry& e) : a(pool_args(e)), nx(a.n * a.c * a.h * a.w), ny(a.n * a.c * a.oh * a.ow), m(b) {}
  // Quarter steps make ties common (the first maximum must win them); one NaN must propagate.
  const float* ties() {
    std::vector<int32_t> q = ints(nx, -6, 7, 51);
    std::vector<float> x(q.begin(), q.end());
    for (float& v : x) v *= 0.25f;
    x[nx / 3] = NAN;
    return m.in(x);
  }
  // Max pooling of the tied input on b: values into y, the chosen indices returned.
  int32_t* max_forward(Backend& b, float*& y, const float** input = nullptr) {
    const float* x = ties();
    if (input) *input = x;
    y = m.out<float>(ny);
    int32_t* idx = m.out<int32_t>(ny);
    b.maxpool2d_forward(a, x, y, idx);
    return idx;
  }
  const float* x() { return m.in(uniform(nx, -1.f, 1.f, 53)); }
  const float* dy() { return m.in(uniform(ny, -1.f, 1.f, 54)); }
};

// A pooling op with one input and one output of the entry's sizes (average pooling both ways).
template <typename Op>
Runner pool_runner(bool forward, Op op) {
  return [forward, op](Backend& b, const Entry& e) {
    Pool p(b, e);
    const float* in = forward ? p.x() : p.dy();
    const int64_t n = forward ? p.ny : p.nx;
    float* out = p.m.out<float>(n);
    op(b, p.a, in, out);
    return Outputs::of(forward ? "y" : "dx", p.m.get(out, n));
  };
}

// x [N, C, HW]. The inputs have a large common offset, as activations often do: the corrected
// two-pass variance must not lose it to cancellation.
struct Norm {
  nn::BatchNormArgs a;
  int64_t total;
  std::vector<float> xh;
  Mem m;
  Norm(Backend& b, const Entry& e) : m(b) {
    a.n = e.dim("x", 0), a.c = e.dim("x", 1), a.hw = e.dim("x", 2);
    total = a.n * a.c * a.hw;
    xh = uniform(total, -1.f, 1.f, 61);
    for (size_t i = 0; i < xh.size(); ++i) xh[i] = xh[i] * (1.f + static_cast<float>((i / a.hw) % a.c)) + 3.f;
  }
  const float* gamma() { return m.in(uniform(a.c, 0.5f, 1.5f, 62)); }
  const float* beta() { return m.in(uniform(a.c, -0.5f, 0.5f, 63)); }
  // Per-channel statistics of x in double, as a training forward would save them.
  void stats(std::vector<float>& mean, std::vector<float>& invstd) const {
    const int64_t cnt = a.n * a.hw;
    mean.resize(a.c), invstd.resize(a.c);
    for (int64_t c = 0; c < a.c; ++c) {
      auto at = [&](int64_t e) { return xh[((e / a.hw) * a.c + c) * a.hw + e % a.hw]; };
      double s = 0, s2 = 0;
      for (int64_t e = 0; e < cnt; ++e) s += at(e);
      const double mu = s / cnt;
      for (int64_t e = 0; e < cnt; ++e) s2 += (at(e) - mu) * (at(e) - mu);
      mean[c] = static_cast<float>(mu);
      invstd[c] = static_cast<float>(1.0 / std::sqrt(s2 / cnt + a.eps));
    }
  }
};

}  // namespace

void add_pool_norm_runners(Runners& r) {
  r["maxpool2d_forward"] = [](Backend& b, const Entry& e) {
    Pool p(b, e);
    float* y;
    const float* x;
    const int32_t* idx = p.max_forward(b, y, &x);
    const std::vector<float> values = p.m.get(y, p.ny);
    Outputs o = Outputs::of("y", values);
    o.add_exact("indices", p.m.get(idx, p.ny));
    // Inference's values-only pooling (relu after it or not), where the backend has a kernel for
    // it; where it has none, the indexed values (relu'd here as kernels/ops.h does) stand in, so
    // one backend's kernel is checked against the other's indexed pooling.
    for (const bool relu : {false, true}) {
      float* yv = p.m.out<float>(p.ny);
      std::vector<float> v = values;
      if (b.maxpool2d_forward_values(p.a, x, yv, relu))
        v = p.m.get(yv, p.ny);
      else if (relu)
        for (float& t : v) t = t <= 0.f ? 0.f : t;
      o.add(relu ? "y_values_relu" : "y_values", v);
    }
    return o;
  };
  // Backward from the indices the same backend's forward chose (equal on both, checked by the
  // forward cases); overlapping windows route several gradients to one input.
  r["maxpool2d_backward"] = [](Backend& b, const Entry& e) {
    Pool p(b, e);
    float* y;
    const int32_t* idx = p.max_forward(b, y);
    const float* dy = p.dy();
    return p.m.one("dx", p.nx, [&](float* dx) { b.maxpool2d_backward(p.a, dy, idx, dx); });
  };
  using A = const nn::Pool2dArgs&;
  r["avgpool2d_forward"] =
      pool_runner(true, [](Backend& b, A a, const float* x, float* y) { b.avgpool2d_forward(a, x, y); });
  r["avgpool2d_backward"] =
      pool_runner(false, [](Backend& b, A a, const float* dy, float* dx) { b.avgpool2d_backward(a, dy, dx); });
  r["adaptive_avgpool2d_forward"] =
      pool_runner(true, [](Backend& b, A a, const float* x, float* y) { b.adaptive_avgpool2d_forward(a, x, y); });
  r["adaptive_avgpool2d_backward"] =
      pool_runner(false, [](Backend& b, A a, const float* dy, float* dx) { b.adaptive_avgpool2d_backward(a, dy, dx); });

  r["batchnorm_forward_train"] = [](Backend& b, const Entry& e) {
    Norm n(b, e);
    const bool running = e.flag("running");
    const int64_t c = n.a.c;
    const float *x = n.m.in(n.xh), *gamma = n.gamma(), *beta = n.beta();
    float* y = n.m.out<float>(n.total);
    float* mean = n.m.out<float>(c);
    float* invstd = n.m.out<float>(c);
    float* rm = running ? n.m.in(uniform(c, -0.1f, 0.1f, 64)) : nullptr;
    float* rv = running ? n.m.in(uniform(c, 0.9f, 1.1f, 65)) : nullptr;
    b.batchnorm_forward_train(n.a, x, gamma, beta, y, mean, invstd, rm, rv);
    Outputs o = Outputs::of("y", n.m.get(y, n.total));
    o.add("save_mean", n.m.get(mean, c));
    o.add("save_invstd", n.m.get(invstd, c));
    if (running) {
      o.add("running_mean", n.m.get(rm, c));
      o.add("running_var", n.m.get(rv, c));
    }
    return o;
  };
  r["batchnorm_forward_eval"] = [](Backend& b, const Entry& e) {
    Norm n(b, e);
    const float *x = n.m.in(n.xh), *gamma = n.gamma(), *beta = n.beta();
    const float* rm = n.m.in(uniform(n.a.c, 2.5f, 3.5f, 64));
    const float* rv = n.m.in(uniform(n.a.c, 0.5f, 2.f, 65));
    float* y = n.m.out<float>(n.total);
    b.batchnorm_forward_eval(n.a, x, gamma, beta, rm, rv, y);
    return Outputs::of("y", n.m.get(y, n.total));
  };
  r["batchnorm_backward"] = [](Backend& b, const Entry& e) {
    Norm n(b, e);
    std::vector<float> mean, invstd;
    n.stats(mean, invstd);
    const int64_t c = n.a.c;
    const float *x = n.m.in(n.xh), *dy = n.m.in(uniform(n.total, -1.f, 1.f, 66)), *gamma = n.gamma();
    const float *sm = n.m.in(mean), *si = n.m.in(invstd);
    float* dx = n.m.out<float>(n.total);
    float* dgamma = n.m.out<float>(c);
    float* dbeta = n.m.out<float>(c);
    b.batchnorm_backward(n.a, x, dy, gamma, sm, si, dx, dgamma, dbeta);
    Outputs o = Outputs::of("dx", n.m.get(dx, n.total));
    o.add("dgamma", n.m.get(dgamma, c));
    o.add("dbeta", n.m.get(dbeta, c));
    return o;
  };
}

}  // namespace kt
