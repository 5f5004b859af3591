// conv2d forward and backward as im2col + tiled GEMM over chunks of images (see
// kernels/conv.cuh). A chunk lowers as many images as fit a 64 MB column buffer, so the GEMM's
// free dimension is large even for small images.
#include <algorithm>

#include "cuda_backend.h"
#include "kernels/conv.cuh"
#include "launch.h"

namespace nn {

using namespace cuda;

namespace {
constexpr int64_t kColBudget = int64_t(1) << 24;  // floats of the column buffer

struct Plan {
  int64_t cg, kg, crs, ohw, nb;
  explicit Plan(const Conv2dArgs& a) {
    cg = a.c / a.groups;
    kg = a.k / a.groups;
    crs = cg * a.r * a.s;
    ohw = a.oh * a.ow;
    nb = std::max<int64_t>(1, std::min<int64_t>(a.n, kColBudget / std::max<int64_t>(1, crs * ohw)));
  }
};

// The plan with its two buffers: col [crs, nb * ohw] (lowered images), tmp [kg, nb * ohw] (one
// group's rows of the output or of dy).
struct Lowering {
  Plan p;
  CudaBackend::Scratch col, tmp;
  Lowering(CudaBackend& b, const Conv2dArgs& a)
      : p(a), col(b, sizeof(float) * p.crs * p.nb * p.ohw), tmp(b, sizeof(float) * p.kg * p.nb * p.ohw) {}
  // step(n0, nb, cols, g) for every chunk of nb images from n0 (cols = nb * ohw) and every group g.
  template <class Step>
  void each(const Conv2dArgs& a, Step&& step) const {
    for (int64_t n0 = 0; n0 < a.n; n0 += p.nb) {
      const int64_t nb = std::min(p.nb, a.n - n0), cols = nb * p.ohw;
      for (int64_t g = 0; g < a.groups; ++g) step(n0, nb, cols, g);
    }
  }
};

unsigned blocks(int64_t n) { return blocks_for(n); }
unsigned threads(int64_t n) { return threads_for(n); }
}  // namespace

void CudaBackend::conv2d_forward(const Conv2dArgs& a, const float* x, const float* w, const float* bias, float* y) {
  const Lowering l(*this, a);
  const Plan& p = l.p;
  l.each(a, [&](int64_t n0, int64_t nb, int64_t cols, int64_t g) {
    NN_LAUNCH(im2col_kernel, blocks(p.crs * cols), threads(p.crs * cols), a, x, l.col.as<float>(), n0, nb, g);
    // tmp[kg, cols] = W_g[kg, crs] * col[crs, cols]
    launch_gemm(gemm_args(false, false, p.kg, cols, p.crs, p.crs, cols, cols, 0.f), w + g * p.kg * p.crs,
                l.col.as<float>(), l.tmp.as<float>());
    NN_LAUNCH(conv_scatter_out_kernel, blocks(p.kg * cols), threads(p.kg * cols), a, l.tmp.as<float>(), bias, y, n0, nb,
              g);
  });
}

void CudaBackend::conv2d_backward_input(const Conv2dArgs& a, const float* dy, const float* w, float* dx) {
  const Lowering l(*this, a);
  const Plan& p = l.p;
  l.each(a, [&](int64_t n0, int64_t nb, int64_t cols, int64_t g) {
    NN_LAUNCH(conv_gather_dy_kernel, blocks(p.kg * cols), threads(p.kg * cols), a, dy, l.tmp.as<float>(), n0, nb, g);
    // dcol[crs, cols] = W_g^T [crs, kg] * dy_g [kg, cols]
    launch_gemm(gemm_args(true, false, p.crs, cols, p.kg, p.crs, cols, cols, 0.f), w + g * p.kg * p.crs,
                l.tmp.as<float>(), l.col.as<float>());
    int64_t nx = nb * p.cg * a.h * a.w;
    NN_LAUNCH(col2im_kernel, blocks(nx), threads(nx), a, l.col.as<float>(), dx, n0, nb, g);
  });
}

void CudaBackend::conv2d_backward_weight(const Conv2dArgs& a, const float* x, const float* dy, float* dw) {
  const Lowering l(*this, a);
  const Plan& p = l.p;
  l.each(a, [&](int64_t n0, int64_t nb, int64_t cols, int64_t g) {
    NN_LAUNCH(conv_gather_dy_kernel, blocks(p.kg * cols), threads(p.kg * cols), a, dy, l.tmp.as<float>(), n0, nb, g);
    NN_LAUNCH(im2col_kernel, blocks(p.crs * cols), threads(p.crs * cols), a, x, l.col.as<float>(), n0, nb, g);
    // dW_g[kg, crs] (+)= dy_g [kg, cols] * col^T [cols, crs]; the first chunk overwrites.
    launch_gemm(gemm_args(false, true, p.kg, p.crs, cols, cols, cols, p.crs, n0 == 0 ? 0.f : 1.f), l.tmp.as<float>(),
                l.col.as<float>(), dw + g * p.kg * p.crs);
  });
}

void CudaBackend::conv2d_backward_bias(const Conv2dArgs& a, const float* dy, float* db) {
  NN_LAUNCH(conv_bias_grad_kernel, row_blocks(a.k), threads_for(a.n * a.oh * a.ow), a, dy, db);
}

}  // namespace nn
