// Fixed small workloads of the CPU kernels for the instruction-count guard (bench/guard.mjs).
// One thread, fixed inputs: the count of executed instructions depends only on the code.
//   nnlab_guard <workload>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "../../native/backend.h"
#include "../../native/core/conv_pool.h"
#include "../../native/core/tensor.h"
#include "../../native/core/thread_pool.h"

using namespace nn;

// Only instructions executed inside this function are counted (callgrind --toggle-collect), so
// the input fills of each workload do not dilute a regression of the kernels themselves.
extern "C" __attribute__((noipa)) void nnlab_guard_measured(const std::function<void()>& kernels) { kernels(); }

namespace {
Backend& B() { return cpu_backend(); }

Tensor filled(const Shape& s, uint64_t seed) {
  Tensor t = empty(B(), s, DType::F32);
  B().rand_uniform(t.f32(), t.numel(), seed, 0, -1.f, 1.f);
  return t;
}

void gemm() {
  Tensor a = filled({192, 160}, 1), b = filled({160, 144}, 2), c = empty(B(), {192, 144}, DType::F32);
  GemmArgs g;
  g.m = 192;
  g.n = 144;
  g.k = 160;
  g.lda = 160;
  g.ldb = 144;
  g.ldc = 144;
  nnlab_guard_measured([&] { B().gemm(g, a.f32(), b.f32(), c.f32()); });
}

// A square conv of batch n, c -> k channels on h x h maps, kernel r x r, no dilation.
Conv2dArgs conv_args(int64_t n, int64_t c, int64_t h, int64_t k, int64_t r, int64_t stride, int64_t pad,
                     int64_t groups) {
  Conv2dArgs a{};
  a.n = n;
  a.c = c;
  a.h = a.w = h;
  a.k = k;
  a.r = a.s = r;
  a.stride_h = a.stride_w = stride;
  a.pad_h = a.pad_w = pad;
  a.dil_h = a.dil_w = 1;
  a.groups = groups;
  a.oh = a.ow = (h + 2 * pad - r) / stride + 1;
  return a;
}

// The seed CNN's conv2: 32 -> 64 channels, 3x3, on 13x13 maps.
Conv2dArgs conv2_args(int64_t n) { return conv_args(n, 32, 13, 64, 3, 1, 0, 1); }

void conv() {
  Conv2dArgs a = conv2_args(4);
  Tensor x = filled({4, 32, 13, 13}, 3), w = filled({64, 32, 3, 3}, 4), bias = filled({64}, 5);
  Tensor y = empty(B(), {4, 64, 11, 11}, DType::F32), dx = empty_like(x), dw = empty_like(w), db = empty_like(bias);
  nnlab_guard_measured([&] {
    B().conv2d_forward(a, x.f32(), w.f32(), bias.f32(), y.f32());
    B().conv2d_backward_input(a, y.f32(), w.f32(), dx.f32());
    B().conv2d_backward_weight(a, x.f32(), y.f32(), dw.f32());
    B().conv2d_backward_bias(a, y.f32(), db.f32());
  });
}

// The seed CNN's conv1 (one input channel: the direct weight gradient) on 4 images.
void conv1() {
  Conv2dArgs a = conv_args(4, 1, 28, 32, 3, 1, 0, 1);
  Tensor x = filled({4, 1, 28, 28}, 13), w = filled({32, 1, 3, 3}, 14), bias = filled({32}, 15);
  Tensor y = empty(B(), {4, 32, 26, 26}, DType::F32), dw = empty_like(w);
  nnlab_guard_measured([&] {
    B().conv2d_forward(a, x.f32(), w.f32(), bias.f32(), y.f32());
    B().conv2d_backward_weight(a, x.f32(), y.f32(), dw.f32());
  });
}

// A ResNet-like 3x3 conv on 4x4 maps at batch 32 (the small-map products), and its 1x1
// stride-2 downsample from 8x8.
void conv_small() {
  Conv2dArgs a = conv_args(32, 32, 4, 32, 3, 1, 1, 1);
  Conv2dArgs d = conv_args(32, 32, 8, 32, 1, 2, 0, 1);
  Tensor x = filled({32, 32, 4, 4}, 16), w = filled({32, 32, 3, 3}, 17), y = empty_like(x), dx = empty_like(x);
  Tensor dw = empty_like(w), xd = filled({32, 32, 8, 8}, 18), wd = filled({32, 32, 1, 1}, 19), dxd = empty_like(xd);
  nnlab_guard_measured([&] {
    B().conv2d_forward(a, x.f32(), w.f32(), nullptr, y.f32());
    B().conv2d_backward_input(a, y.f32(), w.f32(), dx.f32());
    B().conv2d_backward_weight(a, x.f32(), y.f32(), dw.f32());
    B().conv2d_forward(d, xd.f32(), wd.f32(), nullptr, y.f32());
    B().conv2d_backward_input(d, y.f32(), wd.f32(), dxd.f32());
  });
}

// Grouped convolutions on the gathered paths (a batched ensemble of 3 members): the seed CNN's
// conv2 with 8 -> 16 channels per member (forward, input and weight gradients) and its conv1
// (one input channel per member: the direct weight gradient).
void conv_grouped() {
  Conv2dArgs a = conv2_args(2);
  a.c = 24;
  a.k = 48;
  a.groups = 3;
  Conv2dArgs c1 = conv_args(2, 3, 28, 48, 3, 1, 0, 3);
  Tensor x = filled({2, 24, 13, 13}, 20), w = filled({48, 8, 3, 3}, 21), bias = filled({48}, 22);
  Tensor y = empty(B(), {2, 48, 11, 11}, DType::F32), dx = empty_like(x), dw = empty_like(w);
  Tensor x1 = filled({2, 3, 28, 28}, 23), w1 = filled({48, 1, 3, 3}, 24), y1 = empty(B(), {2, 48, 26, 26}, DType::F32);
  Tensor dw1 = empty_like(w1);
  nnlab_guard_measured([&] {
    B().conv2d_forward(a, x.f32(), w.f32(), bias.f32(), y.f32());
    B().conv2d_backward_input(a, y.f32(), w.f32(), dx.f32());
    B().conv2d_backward_weight(a, x.f32(), y.f32(), dw.f32());
    B().conv2d_forward(c1, x1.f32(), w1.f32(), bias.f32(), y1.f32());
    B().conv2d_backward_weight(c1, x1.f32(), y1.f32(), dw1.f32());
  });
}

// ResNet's layer1 conv (64 -> 64 channels, 3x3, padding 1, 8x8 maps) on 8 images (128 tiles):
// the Winograd forward and input gradient.
void conv_winograd() {
  Conv2dArgs a = conv_args(8, 64, 8, 64, 3, 1, 1, 1);
  Tensor x = filled({8, 64, 8, 8}, 26), w = filled({64, 64, 3, 3}, 27), y = empty_like(x), dx = empty_like(x);
  nnlab_guard_measured([&] {
    B().conv2d_forward(a, x.f32(), w.f32(), nullptr, y.f32());
    B().conv2d_backward_input(a, y.f32(), w.f32(), dx.f32());
  });
}

// Max pooling forward and backward: n x c planes of h x h, a k x k window, stride st, padding p.
void maxpool(int64_t n, int64_t c, int64_t h, int64_t k, int64_t st, int64_t p, uint64_t seed) {
  Pool2dArgs a{};
  a.n = n;
  a.c = c;
  a.h = a.w = h;
  a.kh = a.kw = k;
  a.stride_h = a.stride_w = st;
  a.pad_h = a.pad_w = p;
  a.oh = a.ow = (h + 2 * p - k) / st + 1;
  Tensor x = filled({n, c, h, h}, seed), y = empty(B(), {n, c, a.oh, a.ow}, DType::F32), dx = empty_like(x);
  Tensor idx = empty(B(), {n, c, a.oh, a.ow}, DType::I32);
  nnlab_guard_measured([&] {
    B().maxpool2d_forward(a, x.f32(), y.f32(), idx.i32());
    B().maxpool2d_backward(a, y.f32(), idx.i32(), dx.f32());
  });
}

// ResNet's stem pool: 3x3, stride 2, padding 1 on 16x16 planes (the any-window kernel).
void pool3x3() { maxpool(4, 16, 16, 3, 2, 1, 25); }

// 2x2, stride 2 on 26x26 planes (the seed CNN's pool).
void pool() { maxpool(8, 32, 26, 2, 2, 0, 6); }

void softmax_ce() {
  Tensor logits = filled({256, 10}, 7), losses = empty(B(), {256}, DType::F32), probs = empty_like(logits);
  Tensor labels = empty(B(), {256}, DType::I32), dl = empty_like(logits), dloss = empty(B(), {256}, DType::F32);
  for (int i = 0; i < 256; ++i) labels.i32()[i] = i % 10;
  B().fill_f32(dloss.f32(), 256, 1.f / 256);
  nnlab_guard_measured([&] {
    B().cross_entropy_forward(logits.f32(), labels.i32(), losses.f32(), probs.f32(), 256, 10, 0.f);
    B().cross_entropy_backward(probs.f32(), labels.i32(), dloss.f32(), dl.f32(), 256, 10, 0.f);
  });
}

void elementwise() {
  Tensor x = filled({64, 1024}, 8), b = filled({1024}, 9), y = empty_like(x), s = empty(B(), {1024}, DType::F32);
  BroadcastArgs ba{};
  ba.ndim = 2;
  ba.out_shape[0] = 64;
  ba.out_shape[1] = 1024;
  ba.a_strides[0] = 1024;
  ba.a_strides[1] = 1;
  ba.b_strides[0] = 0;
  ba.b_strides[1] = 1;
  nnlab_guard_measured([&] {
    B().binary(BinaryOp::Add, ba, x.f32(), b.f32(), y.f32());
    B().unary(UnaryOp::Relu, y.f32(), y.f32(), y.numel(), 0, 0);
    B().reduce(ReduceOp::Sum, y.f32(), s.f32(), 1, 64, 1024);
  });
}

// A hidden layer of an MLP as the fused linear op runs it (native/binding/ops_gemm.cpp): the
// product, the bias-and-relu pass, then backward: relu's gate, both GEMMs and the bias sum.
void linear_act() {
  Tensor x = filled({64, 160}, 13), w = filled({128, 160}, 14), bias = filled({128}, 15), dy = filled({64, 128}, 16);
  Tensor y = empty(B(), {64, 128}, DType::F32), dz = empty_like(y), dx = empty_like(x), dw = empty_like(w),
         db = empty_like(bias);
  nnlab_guard_measured([&] {
    B().gemm(gemm_args(false, true, 64, 128, 160, 160, 160, 128, 0.f), x.f32(), w.f32(), y.f32());
    B().bias_act_forward(LinearAct::Relu, bias.f32(), y.f32(), 64, 128);
    B().bias_act_backward(LinearAct::Relu, y.f32(), dy.f32(), dz.f32(), db.f32(), 64, 128);
    B().gemm(gemm_args(false, false, 64, 160, 128, 128, 160, 160, 0.f), dz.f32(), w.f32(), dx.f32());
    B().gemm(gemm_args(true, false, 128, 160, 64, 128, 160, 160, 0.f), dz.f32(), x.f32(), dw.f32());
  });
}

void adam() {
  Tensor p = filled({100000}, 10), g = filled({100000}, 11), m = filled({100000}, 12), v = empty_like(p);
  B().fill_f32(v.f32(), v.numel(), 0.01f);
  ParamSlot slot{p.f32(), g.f32(), m.f32(), v.f32(), p.numel()};
  AdamArgs a{1e-3f, 0.9f, 0.999f, 1e-8f, 0.f, false, 3};
  nnlab_guard_measured([&] { B().adam_step(a, &slot, 1); });
}
// The seed CNN's conv1 and its max pool as one op (core/conv_pool.h; under valgrind, the AVX2
// kernel of native/cpu/conv/conv_pool_direct.h) on 2 images of 7 stacked members: forward, then the
// parameters' gradients.
void conv_pool() {
  Conv2dArgs c = conv_args(2, 7, 28, 224, 3, 1, 0, 7);
  Pool2dArgs p{};
  p.n = 2;
  p.c = 224;
  p.h = p.w = 26;
  p.kh = p.kw = 2;
  p.stride_h = p.stride_w = 2;
  p.oh = p.ow = 13;
  Tensor x = filled({2, 7, 28, 28}, 30), w = filled({224, 1, 3, 3}, 31), bias = filled({224}, 32);
  Tensor y = empty(B(), {2, 224, 13, 13}, DType::F32), idx = empty(B(), {2, 224, 13, 13}, DType::I32);
  Tensor dw = empty_like(w), db = empty_like(bias);
  nnlab_guard_measured([&] {
    conv2d_maxpool_forward(B(), c, p, x.f32(), w.f32(), bias.f32(), y.f32(), idx.i32());
    conv2d_maxpool_backward(B(), c, p, y.f32(), idx.i32(), x.f32(), w.f32(), nullptr, dw.f32(), db.f32());
  });
}

// Exact k-NN on byte rows with structure to prune: noisy copies of 8 prototypes (a fixed LCG).
void knn() {
  const int64_t n = 1024, m = 48, dim = 784;
  std::vector<uint8_t> proto(8 * dim), train(n * dim), queries(m * dim);
  uint32_t s = 12345;
  auto next = [&] { return (s = s * 1664525u + 1013904223u) >> 24; };
  for (auto& v : proto) v = next() < 64 ? static_cast<uint8_t>(next()) : 0;
  auto noisy = [&](uint8_t* row) {
    const uint8_t* pr = proto.data() + (next() % 8) * dim;
    for (int64_t j = 0; j < dim; ++j) row[j] = static_cast<uint8_t>(next() < 16 ? next() : pr[j]);
  };
  for (int64_t i = 0; i < n; ++i) noisy(train.data() + i * dim);
  for (int64_t i = 0; i < m; ++i) noisy(queries.data() + i * dim);
  std::vector<int32_t> idx(m * 3), dist(m * 3);
  KnnExactArgs a;
  a.n = n;
  a.m = m;
  a.dim = dim;
  a.k = 3;
  a.proj_dim = 16;
  nnlab_guard_measured([&] { B().knn_exact(a, train.data(), queries.data(), idx.data(), dist.data()); });
}
}  // namespace

int main(int argc, char** argv) {
  const std::map<std::string, std::function<void()>> workloads = {{"gemm", gemm},
                                                                  {"conv", conv},
                                                                  {"conv1", conv1},
                                                                  {"conv_small", conv_small},
                                                                  {"conv_grouped", conv_grouped},
                                                                  {"conv_winograd", conv_winograd},
                                                                  {"conv_pool", conv_pool},
                                                                  {"pool", pool},
                                                                  {"pool3x3", pool3x3},
                                                                  {"softmax_ce", softmax_ce},
                                                                  {"elementwise", elementwise},
                                                                  {"linear_act", linear_act},
                                                                  {"adam", adam},
                                                                  {"knn", knn}};
  if (argc == 2 && std::strcmp(argv[1], "list") == 0) {
    for (auto& [k, v] : workloads) std::printf("%s\n", k.c_str());
    return 0;
  }
  if (argc != 2 || !workloads.count(argv[1])) {
    std::fprintf(stderr, "usage: nnlab_guard <workload>|list\n");
    return 2;
  }
  set_num_threads(1);
  workloads.at(argv[1])();
  return 0;
}
