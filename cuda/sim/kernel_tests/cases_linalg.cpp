// GEMM (plain, transposed operands, alpha/beta, padded leading dimensions, batched) and conv2d
// (forward, grad-input, grad-weight, bias grad) through im2col + the tiled GEMM. Shapes span
// more than one 32x32 tile and more than one 16-deep K slab, with ragged edges everywhere; and the
// fused linear layer's bias-and-activation pass with its backward.
#include <string>
#include <utility>

#include "../../../native/core/conv_pool.h"
#include "harness.h"

namespace kt {
namespace {

struct GemmCase {
  const char* name;
  bool ta, tb;
  int64_t m, n, k, pad_ld;  // leading dimensions = stored row length + pad_ld
  float alpha, beta;
  int64_t batch;
};

// Elements a stored rows x cols matrix with row stride ld spans.
int64_t span(int64_t rows, int64_t cols, int64_t ld) { return rows == 0 ? 0 : (rows - 1) * ld + cols; }

Outputs gemm_run(Backend& b, const GemmCase& c) {
  nn::GemmArgs g;
  g.trans_a = c.ta, g.trans_b = c.tb, g.m = c.m, g.n = c.n, g.k = c.k, g.alpha = c.alpha, g.beta = c.beta;
  const int64_t ar = c.ta ? c.k : c.m, ac = c.ta ? c.m : c.k;  // A as stored
  const int64_t br = c.tb ? c.n : c.k, bc = c.tb ? c.k : c.n;
  g.lda = ac + c.pad_ld, g.ldb = bc + c.pad_ld, g.ldc = c.n + c.pad_ld;
  g.batch = c.batch;
  // Batch strides leave a gap of 3 elements between matrices.
  g.stride_a = span(ar, ac, g.lda) + 3, g.stride_b = span(br, bc, g.ldb) + 3, g.stride_c = span(c.m, c.n, g.ldc) + 3;
  const int64_t na = g.stride_a * c.batch, nb = g.stride_b * c.batch, nc = g.stride_c * c.batch;
  Mem m(b);
  const float* A = m.in(uniform(na, -1.f, 1.f, 31));
  const float* B = m.in(uniform(nb, -1.f, 1.f, 32));
  // With beta == 0 and no gaps, C starts as NaN: the kernel must not read it. Otherwise C holds
  // values, and the gaps between rows and matrices must come back untouched.
  const bool poison = c.beta == 0.f && c.pad_ld == 0 && c.batch == 1;
  float* C = poison ? m.out<float>(nc) : m.in(uniform(nc, -1.f, 1.f, 33));
  b.gemm(g, A, B, C);
  Outputs o;
  o.add("C", m.get(C, poison ? span(c.m, c.n, g.ldc) : nc));
  return o;
}

nn::Conv2dArgs conv_args(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t r, int64_t s, int64_t sh,
                         int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  nn::Conv2dArgs a{};
  a.n = n, a.c = c, a.h = h, a.w = w, a.k = k, a.r = r, a.s = s;
  a.stride_h = sh, a.stride_w = sw, a.pad_h = ph, a.pad_w = pw, a.dil_h = dh, a.dil_w = dw, a.groups = groups;
  a.oh = (h + 2 * ph - dh * (r - 1) - 1) / sh + 1;
  a.ow = (w + 2 * pw - dw * (s - 1) - 1) / sw + 1;
  return a;
}

struct ConvSizes {
  int64_t x, w, y;
  explicit ConvSizes(const nn::Conv2dArgs& a)
      : x(a.n * a.c * a.h * a.w), w(a.k * (a.c / a.groups) * a.r * a.s), y(a.n * a.k * a.oh * a.ow) {}
};

void add_conv(std::vector<Case>& out, const std::string& name, nn::Conv2dArgs a, bool bias) {
  out.push_back({"conv2d/forward_" + name, kAccumulate, [a, bias](Backend& b) {
                   ConvSizes z(a);
                   Mem m(b);
                   const float* x = m.in(uniform(z.x, -1.f, 1.f, 41));
                   const float* w = m.in(uniform(z.w, -1.f, 1.f, 42));
                   const float* bs = bias ? m.in(uniform(a.k, -1.f, 1.f, 43)) : nullptr;
                   float* y = m.out<float>(z.y);
                   b.conv2d_forward(a, x, w, bs, y);
                   Outputs o;
                   o.add("y", m.get(y, z.y));
                   return o;
                 }});
  out.push_back({"conv2d/grad_input_" + name, kAccumulate, [a](Backend& b) {
                   ConvSizes z(a);
                   Mem m(b);
                   const float* dy = m.in(uniform(z.y, -1.f, 1.f, 44));
                   const float* w = m.in(uniform(z.w, -1.f, 1.f, 42));
                   float* dx = m.out<float>(z.x);
                   b.conv2d_backward_input(a, dy, w, dx);
                   Outputs o;
                   o.add("dx", m.get(dx, z.x));
                   return o;
                 }});
  out.push_back({"conv2d/grad_weight_" + name, kAccumulate, [a](Backend& b) {
                   ConvSizes z(a);
                   Mem m(b);
                   const float* x = m.in(uniform(z.x, -1.f, 1.f, 41));
                   const float* dy = m.in(uniform(z.y, -1.f, 1.f, 44));
                   float* dw = m.out<float>(z.w);
                   b.conv2d_backward_weight(a, x, dy, dw);
                   Outputs o;
                   o.add("dw", m.get(dw, z.w));
                   return o;
                 }});
  if (bias)
    out.push_back({"conv2d/grad_bias_" + name, kAccumulate, [a](Backend& b) {
                     ConvSizes z(a);
                     Mem m(b);
                     const float* dy = m.in(uniform(z.y, -1.f, 1.f, 44));
                     float* db = m.out<float>(a.k);
                     b.conv2d_backward_bias(a, dy, db);
                     Outputs o;
                     o.add("db", m.get(db, a.k));
                     return o;
                   }});
}

// A convolution then 2x2 max pooling as one op: the backend's own kernel for the pair where it
// has one (the CPU's, for these first-layer shapes), else core/conv_pool.cpp's blocks over the
// backend's conv and pool kernels (the CUDA backend). Both must give the two ops' result.
void add_conv_pool(std::vector<Case>& out, const std::string& name, nn::Conv2dArgs a) {
  nn::Pool2dArgs p{};
  p.n = a.n, p.c = a.k, p.h = a.oh, p.w = a.ow, p.kh = p.kw = 2, p.stride_h = p.stride_w = 2;
  p.oh = a.oh / 2, p.ow = a.ow / 2;
  const int64_t pooled = p.n * p.c * p.oh * p.ow;
  out.push_back({"conv2d_maxpool/forward_" + name, kAccumulate, [a, p, pooled](Backend& b) {
                   ConvSizes z(a);
                   Mem m(b);
                   const float* x = m.in(uniform(z.x, -1.f, 1.f, 45));
                   const float* w = m.in(uniform(z.w, -1.f, 1.f, 46));
                   const float* bs = m.in(uniform(a.k, -1.f, 1.f, 47));
                   float* y = m.out<float>(pooled);
                   int32_t* idx = m.out<int32_t>(pooled);
                   if (!b.conv2d_maxpool_forward(a, p, x, w, bs, y, idx))
                     nn::conv2d_maxpool_forward(b, a, p, x, w, bs, y, idx);
                   Outputs o;
                   o.add("y", m.get(y, pooled));
                   o.add_exact("indices", m.get(idx, pooled));
                   return o;
                 }});
  out.push_back({"conv2d_maxpool/grad_params_" + name, kAccumulate, [a, p, pooled](Backend& b) {
                   ConvSizes z(a);
                   Mem m(b);
                   const float* x = m.in(uniform(z.x, -1.f, 1.f, 45));
                   const float* w = m.in(uniform(z.w, -1.f, 1.f, 46));
                   float* y = m.out<float>(pooled);
                   int32_t* idx = m.out<int32_t>(pooled);
                   nn::conv2d_maxpool_forward(b, a, p, x, w, nullptr, y, idx);
                   const float* dy = m.in(uniform(pooled, -1.f, 1.f, 48));
                   float* dw = m.out<float>(z.w);
                   float* db = m.out<float>(a.k);
                   if (!b.conv2d_maxpool_backward_params(a, p, dy, idx, x, dw, db))
                     nn::conv2d_maxpool_backward(b, a, p, dy, idx, x, w, nullptr, dw, db);
                   Outputs o;
                   o.add("dw", m.get(dw, z.w));
                   o.add("db", m.get(db, a.k));
                   return o;
                 }});
}

// The fused linear layer's pass over a GEMM output [rows, cols] (bias and activation, in place)
// and the activation's backward, for every activation, with and without a bias.
void add_linear_act(std::vector<Case>& out) {
  const std::pair<const char*, nn::LinearAct> acts[] = {{"none", nn::LinearAct::None},
                                                        {"relu", nn::LinearAct::Relu},
                                                        {"sigmoid", nn::LinearAct::Sigmoid},
                                                        {"tanh", nn::LinearAct::Tanh}};
  const int64_t rows = 37, cols = 43, n = rows * cols;
  for (const auto& [name, act] : acts) {
    for (bool bias : {true, false})
      out.push_back({std::string("bias_act_forward/") + name + (bias ? "_bias" : ""), kElementwise,
                     [act = act, bias](Backend& b) {
                       Mem m(b);
                       float* y = m.in(uniform(n, -3.f, 3.f, 51));
                       const float* bs = bias ? m.in(uniform(cols, -1.f, 1.f, 52)) : nullptr;
                       b.bias_act_forward(act, bs, y, rows, cols);
                       Outputs o;
                       o.add("y", m.get(y, n));
                       return o;
                     }});
    out.push_back({std::string("bias_act_backward/") + name, kElementwise, [act = act](Backend& b) {
                     // y as the forward makes it, so relu's zeros and the saturated ends occur.
                     std::vector<float> yh = uniform(n, -3.f, 3.f, 53);
                     for (float& v : yh) v = nn::linear_act_forward(act, v);
                     Mem m(b);
                     const float* y = m.in(yh);
                     const float* dy = m.in(uniform(n, -1.f, 1.f, 54));
                     float* dz = m.out<float>(n);
                     b.bias_act_backward(act, y, dy, dz, n);
                     Outputs o;
                     o.add("dz", m.get(dz, n));
                     return o;
                   }});
  }
}

}  // namespace

void add_linalg_cases(std::vector<Case>& out) {
  const GemmCase gemms[] = {
      {"plain", false, false, 37, 45, 23, 0, 1.f, 0.f, 1},
      {"trans_a", true, false, 37, 45, 23, 3, 1.f, 0.f, 1},
      {"trans_b", false, true, 37, 45, 23, 1, 1.f, 0.f, 1},
      {"trans_ab_alpha_beta", true, true, 33, 19, 41, 2, 0.5f, -1.5f, 1},
      {"batched", false, false, 19, 21, 35, 1, 1.f, 0.f, 3},
      {"batched_trans_b_beta", false, true, 7, 40, 17, 0, -2.f, 1.f, 2},
  };
  for (const GemmCase& c : gemms)
    out.push_back({std::string("gemm/") + c.name, kAccumulate, [c](Backend& b) { return gemm_run(b, c); }});

  // Strided, padded, dilated, grouped, with bias; and a plain 3x3 "same" convolution without.
  add_conv(out, "strided_grouped", conv_args(2, 4, 7, 6, 6, 3, 2, 2, 1, 1, 0, 1, 2, 2), true);
  add_conv(out, "same_3x3", conv_args(3, 3, 5, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1), false);
  // The seed CNN's conv1 stacked for 3 members (one input channel per group) on 2 images.
  add_conv_pool(out, "stacked_first_layer", conv_args(2, 3, 28, 28, 24, 3, 3, 1, 1, 0, 0, 1, 1, 3));
  add_linear_act(out);
}

}  // namespace kt
