// Pooling (max with indices, average with and without counted padding, adaptive average;
// forward and backward) and batch normalisation (training forward with running statistics,
// evaluation, backward).
#include <cmath>
#include <string>

#include "../../../native/kernels/pool.h"
#include "harness.h"

namespace kt {
namespace {

nn::Pool2dArgs pool_args(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                         int64_t ph, int64_t pw, bool include_pad) {
  nn::Pool2dArgs a{};
  a.n = n, a.c = c, a.h = h, a.w = w, a.kh = kh, a.kw = kw, a.stride_h = sh, a.stride_w = sw, a.pad_h = ph,
  a.pad_w = pw, a.count_include_pad = include_pad;
  a.oh = nn::pool_out_size(h, kh, sh, ph);
  a.ow = nn::pool_out_size(w, kw, sw, pw);
  return a;
}

nn::Pool2dArgs adaptive_args(int64_t n, int64_t c, int64_t h, int64_t w, int64_t oh, int64_t ow) {
  nn::Pool2dArgs a{};
  a.n = n, a.c = c, a.h = h, a.w = w, a.oh = oh, a.ow = ow;
  return a;
}

int64_t in_count(const nn::Pool2dArgs& a) { return a.n * a.c * a.h * a.w; }
int64_t out_count(const nn::Pool2dArgs& a) { return a.n * a.c * a.oh * a.ow; }

// Quarter steps make ties common (the first maximum must win them); one NaN must propagate.
std::vector<float> pool_input(const nn::Pool2dArgs& a) {
  std::vector<int32_t> q = ints(in_count(a), -6, 7, 51);
  std::vector<float> x(q.begin(), q.end());
  for (float& v : x) v *= 0.25f;
  x[in_count(a) / 3] = NAN;
  return x;
}

void add_maxpool(std::vector<Case>& out, const std::string& name, nn::Pool2dArgs a) {
  out.push_back({"maxpool2d/forward_" + name, kExact, [a](Backend& b) {
                   Mem m(b);
                   const float* x = m.in(pool_input(a));
                   float* y = m.out<float>(out_count(a));
                   int32_t* idx = m.out<int32_t>(out_count(a));
                   b.maxpool2d_forward(a, x, y, idx);
                   Outputs o;
                   o.add("y", m.get(y, out_count(a)));
                   o.add_exact("indices", m.get(idx, out_count(a)));
                   return o;
                 }});
  // Backward from the indices the same backend's forward chose (equal on both, checked above);
  // overlapping windows route several gradients to one input.
  out.push_back({"maxpool2d/backward_" + name, kAccumulate, [a](Backend& b) {
                   Mem m(b);
                   const float* x = m.in(pool_input(a));
                   float* y = m.out<float>(out_count(a));
                   int32_t* idx = m.out<int32_t>(out_count(a));
                   b.maxpool2d_forward(a, x, y, idx);
                   const float* dy = m.in(uniform(out_count(a), -1.f, 1.f, 52));
                   float* dx = m.out<float>(in_count(a));
                   b.maxpool2d_backward(a, dy, idx, dx);
                   Outputs o;
                   o.add("dx", m.get(dx, in_count(a)));
                   return o;
                 }});
}

void add_avgpool(std::vector<Case>& out, const std::string& name, nn::Pool2dArgs a) {
  out.push_back({"avgpool2d/forward_" + name, kAccumulate, [a](Backend& b) {
                   Mem m(b);
                   const float* x = m.in(uniform(in_count(a), -1.f, 1.f, 53));
                   float* y = m.out<float>(out_count(a));
                   b.avgpool2d_forward(a, x, y);
                   Outputs o;
                   o.add("y", m.get(y, out_count(a)));
                   return o;
                 }});
  out.push_back({"avgpool2d/backward_" + name, kAccumulate, [a](Backend& b) {
                   Mem m(b);
                   const float* dy = m.in(uniform(out_count(a), -1.f, 1.f, 54));
                   float* dx = m.out<float>(in_count(a));
                   b.avgpool2d_backward(a, dy, dx);
                   Outputs o;
                   o.add("dx", m.get(dx, in_count(a)));
                   return o;
                 }});
}

void add_adaptive(std::vector<Case>& out, const std::string& name, nn::Pool2dArgs a) {
  out.push_back({"adaptive_avgpool2d/forward_" + name, kAccumulate, [a](Backend& b) {
                   Mem m(b);
                   const float* x = m.in(uniform(in_count(a), -1.f, 1.f, 55));
                   float* y = m.out<float>(out_count(a));
                   b.adaptive_avgpool2d_forward(a, x, y);
                   Outputs o;
                   o.add("y", m.get(y, out_count(a)));
                   return o;
                 }});
  out.push_back({"adaptive_avgpool2d/backward_" + name, kAccumulate, [a](Backend& b) {
                   Mem m(b);
                   const float* dy = m.in(uniform(out_count(a), -1.f, 1.f, 56));
                   float* dx = m.out<float>(in_count(a));
                   b.adaptive_avgpool2d_backward(a, dy, dx);
                   Outputs o;
                   o.add("dx", m.get(dx, in_count(a)));
                   return o;
                 }});
}

nn::BatchNormArgs bn_args(int64_t n, int64_t c, int64_t hw) {
  nn::BatchNormArgs a;
  a.n = n, a.c = c, a.hw = hw;
  return a;
}

// The inputs have a large common offset, as activations often do: the corrected two-pass
// variance must not lose it to cancellation.
std::vector<float> bn_input(const nn::BatchNormArgs& a) {
  std::vector<float> x = uniform(a.n * a.c * a.hw, -1.f, 1.f, 61);
  for (size_t i = 0; i < x.size(); ++i) x[i] = x[i] * (1.f + static_cast<float>((i / a.hw) % a.c)) + 3.f;
  return x;
}

void add_batchnorm(std::vector<Case>& out, const std::string& name, nn::BatchNormArgs a, bool running) {
  const int64_t total = a.n * a.c * a.hw;
  out.push_back({"batchnorm/train_" + name, kAccumulate, [a, total, running](Backend& b) {
                   Mem m(b);
                   const float* x = m.in(bn_input(a));
                   const float* gamma = m.in(uniform(a.c, 0.5f, 1.5f, 62));
                   const float* beta = m.in(uniform(a.c, -0.5f, 0.5f, 63));
                   float* y = m.out<float>(total);
                   float* mean = m.out<float>(a.c);
                   float* invstd = m.out<float>(a.c);
                   float* rm = running ? m.in(uniform(a.c, -0.1f, 0.1f, 64)) : nullptr;
                   float* rv = running ? m.in(uniform(a.c, 0.9f, 1.1f, 65)) : nullptr;
                   b.batchnorm_forward_train(a, x, gamma, beta, y, mean, invstd, rm, rv);
                   Outputs o;
                   o.add("y", m.get(y, total));
                   o.add("save_mean", m.get(mean, a.c));
                   o.add("save_invstd", m.get(invstd, a.c));
                   if (running) {
                     o.add("running_mean", m.get(rm, a.c));
                     o.add("running_var", m.get(rv, a.c));
                   }
                   return o;
                 }});
  out.push_back({"batchnorm/eval_" + name, kElementwise, [a, total](Backend& b) {
                   Mem m(b);
                   const float* x = m.in(bn_input(a));
                   const float* gamma = m.in(uniform(a.c, 0.5f, 1.5f, 62));
                   const float* beta = m.in(uniform(a.c, -0.5f, 0.5f, 63));
                   const float* rm = m.in(uniform(a.c, 2.5f, 3.5f, 64));
                   const float* rv = m.in(uniform(a.c, 0.5f, 2.f, 65));
                   float* y = m.out<float>(total);
                   b.batchnorm_forward_eval(a, x, gamma, beta, rm, rv, y);
                   Outputs o;
                   o.add("y", m.get(y, total));
                   return o;
                 }});
  // Statistics as a training forward would save them, computed here in double so both
  // backends get the same inputs.
  out.push_back({"batchnorm/backward_" + name, kAccumulate, [a, total](Backend& b) {
                   std::vector<float> xh = bn_input(a), mean(a.c), invstd(a.c);
                   const int64_t cnt = a.n * a.hw;
                   for (int64_t c = 0; c < a.c; ++c) {
                     double s = 0, s2 = 0;
                     for (int64_t e = 0; e < cnt; ++e) s += xh[((e / a.hw) * a.c + c) * a.hw + e % a.hw];
                     const double mu = s / cnt;
                     for (int64_t e = 0; e < cnt; ++e) {
                       const double d = xh[((e / a.hw) * a.c + c) * a.hw + e % a.hw] - mu;
                       s2 += d * d;
                     }
                     mean[c] = static_cast<float>(mu);
                     invstd[c] = static_cast<float>(1.0 / std::sqrt(s2 / cnt + a.eps));
                   }
                   Mem m(b);
                   const float* x = m.in(xh);
                   const float* dy = m.in(uniform(total, -1.f, 1.f, 66));
                   const float* gamma = m.in(uniform(a.c, 0.5f, 1.5f, 62));
                   const float* sm = m.in(mean);
                   const float* si = m.in(invstd);
                   float* dx = m.out<float>(total);
                   float* dgamma = m.out<float>(a.c);
                   float* dbeta = m.out<float>(a.c);
                   b.batchnorm_backward(a, x, dy, gamma, sm, si, dx, dgamma, dbeta);
                   Outputs o;
                   o.add("dx", m.get(dx, total));
                   o.add("dgamma", m.get(dgamma, a.c));
                   o.add("dbeta", m.get(dbeta, a.c));
                   return o;
                 }});
}

}  // namespace

void add_pool_norm_cases(std::vector<Case>& out) {
  // Overlapping 3x2 windows, strides (2, 3), padding 1 on both axes.
  add_maxpool(out, "3x2_s2x3_p1", pool_args(2, 3, 7, 9, 3, 2, 2, 3, 1, 1, true));
  add_maxpool(out, "2x2_s2", pool_args(1, 2, 9, 8, 2, 2, 2, 2, 0, 0, true));
  add_avgpool(out, "3x3_s2_p1_count_pad", pool_args(2, 3, 7, 9, 3, 3, 2, 2, 1, 1, true));
  add_avgpool(out, "3x3_s2_p1_no_count_pad", pool_args(2, 3, 7, 9, 3, 3, 2, 2, 1, 1, false));
  add_adaptive(out, "7x9_to_3x4", adaptive_args(2, 3, 7, 9, 3, 4));
  add_adaptive(out, "3x4_to_5x3", adaptive_args(1, 3, 3, 4, 5, 3));  // overlapping bins
  // 300 elements per channel: a full 256-thread block with strided loops; and BatchNorm1d
  // (hw = 1) without running statistics.
  add_batchnorm(out, "4x3x75", bn_args(4, 3, 75), true);
  add_batchnorm(out, "9x5x7", bn_args(9, 5, 7), true);
  add_batchnorm(out, "1d_11x4_no_running", bn_args(11, 4, 1), false);
}

}  // namespace kt
