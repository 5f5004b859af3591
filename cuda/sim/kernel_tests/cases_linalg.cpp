// Runners of GEMM (plain, transposed operands, alpha/beta, padded leading dimensions, batched)
// and conv2d (forward, grad-input, grad-weight, bias grad; through im2col + the tiled GEMM), of
// the fused conv2d + 2x2 max pooling, and of the fused linear layer's bias-and-activation pass.
#include <stdexcept>
#include <string>
#include <vector>

#include "../../../native/core/conv_pool.h"
#include "../../../native/kernels/linear.h"
#include "harness.h"

namespace kt {
namespace {

// Elements a stored rows x cols matrix with row stride ld spans.
int64_t span(int64_t rows, int64_t cols, int64_t ld) { return rows == 0 ? 0 : (rows - 1) * ld + cols; }

Outputs gemm_run(Backend& b, const Entry& e) {
  nn::GemmArgs g;
  const std::vector<int64_t> mnk = e.shape("mnk");
  const int64_t pad = e.i("pad_ld"), batch = e.i("batch");
  g.trans_a = e.flag("trans_a"), g.trans_b = e.flag("trans_b"), g.m = mnk[0], g.n = mnk[1], g.k = mnk[2];
  g.alpha = e.f("alpha"), g.beta = e.f("beta");
  const int64_t ar = g.trans_a ? g.k : g.m, ac = g.trans_a ? g.m : g.k;  // A as stored
  const int64_t br = g.trans_b ? g.n : g.k, bc = g.trans_b ? g.k : g.n;
  g.lda = ac + pad, g.ldb = bc + pad, g.ldc = g.n + pad;
  g.batch = batch;
  // Batch strides leave a gap of 3 elements between matrices.
  g.stride_a = span(ar, ac, g.lda) + 3, g.stride_b = span(br, bc, g.ldb) + 3, g.stride_c = span(g.m, g.n, g.ldc) + 3;
  const int64_t na = g.stride_a * batch, nb = g.stride_b * batch, nc = g.stride_c * batch;
  Mem m(b);
  const float* A = m.in(uniform(na, -1.f, 1.f, 31));
  const float* B = m.in(uniform(nb, -1.f, 1.f, 32));
  // With beta == 0 and no gaps, C starts as NaN: the kernel must not read it. Otherwise C holds
  // values, and the gaps between rows and matrices must come back untouched.
  const bool poison = g.beta == 0.f && pad == 0 && batch == 1;
  float* C = poison ? m.out<float>(nc) : m.in(uniform(nc, -1.f, 1.f, 33));
  b.gemm(g, A, B, C);
  return Outputs::of("C", m.get(C, poison ? span(g.m, g.n, g.ldc) : nc));
}

nn::Conv2dArgs conv_args(const Entry& e) {
  const std::vector<int64_t> x = e.shape("x"), w = e.shape("w");
  const auto pair = [&](const char* k, int64_t fallback, int i) { return e.params.has(k) ? e.list(k)[i] : fallback; };
  nn::Conv2dArgs a{};
  a.n = x[0], a.c = x[1], a.h = x[2], a.w = x[3], a.k = w[0], a.r = w[2], a.s = w[3];
  a.stride_h = pair("stride", 1, 0), a.stride_w = pair("stride", 1, 1);
  a.pad_h = pair("pad", 0, 0), a.pad_w = pair("pad", 0, 1);
  a.dil_h = pair("dilation", 1, 0), a.dil_w = pair("dilation", 1, 1);
  a.groups = e.i("groups");
  a.oh = (a.h + 2 * a.pad_h - a.dil_h * (a.r - 1) - 1) / a.stride_h + 1;
  a.ow = (a.w + 2 * a.pad_w - a.dil_w * (a.s - 1) - 1) / a.stride_w + 1;
  return a;
}

// A convolution's tensors, with the inputs every runner draws the same way.
struct Conv {
  nn::Conv2dArgs a;
  int64_t nx, nw, ny;
  Mem m;
  Conv(Backend& b, const Entry& e)
      : a(conv_args(e)),
        nx(a.n * a.c * a.h * a.w),
        nw(a.k * (a.c / a.groups) * a.r * a.s),
        ny(a.n * a.k * a.oh * a.ow),
        m(b) {}
  const float* x() { return m.in(uniform(nx, -1.f, 1.f, 41)); }
  const float* w() { return m.in(uniform(nw, -1.f, 1.f, 42)); }
  const float* dy() { return m.in(uniform(ny, -1.f, 1.f, 44)); }
};

// The pooling after a conv2d_maxpool entry's convolution: 2x2, stride 2.
nn::Pool2dArgs pool_after(const nn::Conv2dArgs& a) {
  nn::Pool2dArgs p{};
  p.n = a.n, p.c = a.k, p.h = a.oh, p.w = a.ow, p.kh = p.kw = 2, p.stride_h = p.stride_w = 2;
  p.oh = a.oh / 2, p.ow = a.ow / 2;
  return p;
}

nn::LinearAct linear_act(const Entry& e) {
  const std::string& name = e.str("act");
  if (name == "relu") return nn::LinearAct::Relu;
  if (name == "sigmoid") return nn::LinearAct::Sigmoid;
  if (name == "tanh") return nn::LinearAct::Tanh;
  if (name == "none") return nn::LinearAct::None;
  throw std::runtime_error("bias_act: unknown act '" + name + "'");
}

// A convolution then 2x2 max pooling as one op: the backend's own kernel for the pair where it
// has one (the CPU's, for first-layer shapes), else core/conv_pool.cpp's blocks over the
// backend's conv and pool kernels (the CUDA backend). Both must give the two ops' result; in
// inference's form (no indices, relu of the pooled values) too.
Outputs conv_maxpool_forward(Backend& b, const Entry& e, bool inference) {
  Conv c(b, e);
  const nn::Pool2dArgs p = pool_after(c.a);
  const int64_t pooled = p.n * p.c * p.oh * p.ow;
  const float *x = c.x(), *w = c.w(), *bias = c.m.in(uniform(c.a.k, -1.f, 1.f, 43));
  float* y = c.m.out<float>(pooled);
  int32_t* idx = inference ? nullptr : c.m.out<int32_t>(pooled);
  // Without indices, the backend's kernel that pools the convolution's output as it is made
  // (conv2d_maxpool_forward_values), where it has one for the shape, before the blocks.
  if (!b.conv2d_maxpool_forward(c.a, p, x, w, bias, y, idx, inference) &&
      !(inference && b.conv2d_maxpool_forward_values(c.a, p, x, w, bias, y, true)))
    nn::conv2d_maxpool_forward(b, c.a, p, x, w, bias, y, idx, inference);
  Outputs o = Outputs::of("y", c.m.get(y, pooled));
  if (idx) o.add_exact("indices", c.m.get(idx, pooled));
  return o;
}

}  // namespace

void add_linalg_runners(Runners& r) {
  r["gemm"] = gemm_run;
  r["conv2d_forward"] = [](Backend& b, const Entry& e) {
    Conv c(b, e);
    const float *x = c.x(), *w = c.w();
    const float* bias = e.flag("bias") ? c.m.in(uniform(c.a.k, -1.f, 1.f, 43)) : nullptr;
    float* y = c.m.out<float>(c.ny);
    b.conv2d_forward(c.a, x, w, bias, y);
    return Outputs::of("y", c.m.get(y, c.ny));
  };
  r["conv2d_backward_input"] = [](Backend& b, const Entry& e) {
    Conv c(b, e);
    const float *dy = c.dy(), *w = c.w();
    return c.m.one("dx", c.nx, [&](float* dx) { b.conv2d_backward_input(c.a, dy, w, dx); });
  };
  r["conv2d_backward_weight"] = [](Backend& b, const Entry& e) {
    Conv c(b, e);
    const float *x = c.x(), *dy = c.dy();
    return c.m.one("dw", c.nw, [&](float* dw) { b.conv2d_backward_weight(c.a, x, dy, dw); });
  };
  r["conv2d_backward_bias"] = [](Backend& b, const Entry& e) {
    Conv c(b, e);
    const float* dy = c.dy();
    return c.m.one("db", c.a.k, [&](float* db) { b.conv2d_backward_bias(c.a, dy, db); });
  };
  r["conv2d_maxpool_forward"] = [](Backend& b, const Entry& e) { return conv_maxpool_forward(b, e, false); };
  r["conv2d_maxpool_forward_relu"] = [](Backend& b, const Entry& e) { return conv_maxpool_forward(b, e, true); };
  r["conv2d_maxpool_backward"] = [](Backend& b, const Entry& e) {
    Conv c(b, e);
    const nn::Pool2dArgs p = pool_after(c.a);
    const int64_t pooled = p.n * p.c * p.oh * p.ow;
    const float *x = c.x(), *w = c.w();
    float* y = c.m.out<float>(pooled);
    int32_t* idx = c.m.out<int32_t>(pooled);
    nn::conv2d_maxpool_forward(b, c.a, p, x, w, nullptr, y, idx);
    const float* dy = c.m.in(uniform(pooled, -1.f, 1.f, 48));
    float* dw = c.m.out<float>(c.nw);
    float* db = c.m.out<float>(c.a.k);
    if (!b.conv2d_maxpool_backward_params(c.a, p, dy, nullptr, idx, x, dw, db))
      nn::conv2d_maxpool_backward(b, c.a, p, dy, idx, x, w, nullptr, dw, db);
    // With the input's gradient too: the backend's own whole-batch pass where it has one (the
    // CPU's), else the blocks.
    float* dx = c.m.out<float>(c.nx);
    float* dw2 = c.m.out<float>(c.nw);
    float* db2 = c.m.out<float>(c.a.k);
    if (!b.conv2d_maxpool_backward_all(c.a, p, dy, idx, x, w, dx, dw2, db2))
      nn::conv2d_maxpool_backward(b, c.a, p, dy, idx, x, w, dx, dw2, db2);
    Outputs o = Outputs::of("dw", c.m.get(dw, c.nw));
    o.add("db", c.m.get(db, c.a.k));
    o.add("dx", c.m.get(dx, c.nx));
    o.add("dw with dx", c.m.get(dw2, c.nw));
    o.add("db with dx", c.m.get(db2, c.a.k));
    return o;
  };
  // The pass over a GEMM output [rows = x[0], cols = w[0]] (bias and activation, in place) and
  // the activation's backward; the addon reaches both through linearAct / linearActBackward.
  r["bias_act_forward"] = [](Backend& b, const Entry& e) {
    const int64_t rows = e.dim("x", 0), cols = e.dim("w", 0), n = rows * cols;
    Mem m(b);
    float* y = m.in(uniform(n, -3.f, 3.f, 51));
    const float* bias = e.flag("bias") ? m.in(uniform(cols, -1.f, 1.f, 52)) : nullptr;
    b.bias_act_forward(linear_act(e), bias, y, rows, cols);
    return Outputs::of("y", m.get(y, n));
  };
  r["bias_act_backward"] = [](Backend& b, const Entry& e) {
    const nn::LinearAct act = linear_act(e);
    const int64_t rows = e.dim("x", 0), cols = e.dim("w", 0), n = rows * cols;
    // y as the forward makes it, so relu's zeros and the saturated ends occur.
    std::vector<float> yh = uniform(n, -3.f, 3.f, 53);
    for (float& v : yh) v = nn::linear_act_forward(act, v);
    Mem m(b);
    const float *y = m.in(yh), *dy = m.in(uniform(n, -1.f, 1.f, 54));
    float* dz = m.out<float>(n);
    float* db = e.flag("bias") ? m.out<float>(cols) : nullptr;
    b.bias_act_backward(act, y, dy, dz, db, rows, cols);
    Outputs o = Outputs::of("dz", m.get(dz, n));
    if (db) o.add("db", m.get(db, cols));
    return o;
  };
}

}  // namespace kt
