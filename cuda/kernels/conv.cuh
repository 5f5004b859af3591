// conv2d as im2col + GEMM. A chunk of nb images of one group is lowered to a column matrix
// col[crs, nb*ohw] (crs = C/groups * R * S); the products run through the tiled GEMM; these
// kernels move data between NCHW tensors and the lowered layouts. col2im is written as a
// gather (each input pixel sums the column entries that read it), so it needs no atomics and
// its sums have a fixed order.
#pragma once
#include <cstdint>

#include "../../native/backend.h"
#include "../../native/kernels/conv.h"
#include "common.cuh"

namespace nn::cuda {

// col[(ci*R + r)*S + s][b*ohw + oh*OW + ow] = x[n0 + b, g*cg + ci, oh*sh - ph + r*dh, ow*sw - pw + s*dw]
static __global__ void im2col_kernel(Conv2dArgs a, const float* x, float* col, int64_t n0, int64_t nb, int64_t g) {
  const int64_t cg = a.c / a.groups, ohw = a.oh * a.ow, cols = nb * ohw, rows = cg * a.r * a.s;
  NN_GRID_STRIDE(t, rows * cols) {
    const int64_t row = t / cols, colp = t % cols;
    const int64_t s = row % a.s, r = (row / a.s) % a.r, ci = row / (a.s * a.r);
    const int64_t b = colp / ohw, p = colp % ohw, oh = p / a.ow, ow = p % a.ow;
    const int64_t ih = oh * a.stride_h - a.pad_h + r * a.dil_h, iw = ow * a.stride_w - a.pad_w + s * a.dil_w;
    float v = 0.f;
    if (ih >= 0 && ih < a.h && iw >= 0 && iw < a.w) v = x[(((n0 + b) * a.c + g * cg + ci) * a.h + ih) * a.w + iw];
    col[t] = v;
  }
}

// dx[n0 + b, g*cg + ci, ih, iw] = sum over taps (r, s) whose output position (oh, ow) exists of
// col[(ci*R + r)*S + s][b*ohw + oh*OW + ow]. Every element of the chunk is written.
static __global__ void col2im_kernel(Conv2dArgs a, const float* col, float* dx, int64_t n0, int64_t nb, int64_t g) {
  const int64_t cg = a.c / a.groups, ohw = a.oh * a.ow, cols = nb * ohw, hw = a.h * a.w;
  NN_GRID_STRIDE(t, nb * cg * hw) {
    const int64_t b = t / (cg * hw), ci = (t / hw) % cg, ih = (t % hw) / a.w, iw = t % a.w;
    float acc = 0.f;
    for (int64_t r = 0; r < a.r; ++r) {
      const int64_t hh = ih + a.pad_h - r * a.dil_h;
      if (hh < 0 || hh % a.stride_h != 0) continue;
      const int64_t oh = hh / a.stride_h;
      if (oh >= a.oh) continue;
      for (int64_t s = 0; s < a.s; ++s) {
        const int64_t ww = iw + a.pad_w - s * a.dil_w;
        if (ww < 0 || ww % a.stride_w != 0) continue;
        const int64_t ow = ww / a.stride_w;
        if (ow >= a.ow) continue;
        acc += col[((ci * a.r + r) * a.s + s) * cols + b * ohw + oh * a.ow + ow];
      }
    }
    dx[((n0 + b) * a.c + g * cg + ci) * hw + (t % hw)] = acc;
  }
}

// y[n0 + b, g*kg + k, p] = tmp[k][b*ohw + p] (+ bias[g*kg + k])
static __global__ void conv_scatter_out_kernel(Conv2dArgs a, const float* tmp, const float* bias, float* y, int64_t n0,
                                               int64_t nb, int64_t g) {
  const int64_t kg = a.k / a.groups, ohw = a.oh * a.ow, cols = nb * ohw;
  NN_GRID_STRIDE(t, kg * cols) {
    const int64_t k = t / cols, b = (t % cols) / ohw, p = t % ohw;
    float v = tmp[t];
    if (bias) v += bias[g * kg + k];
    y[((n0 + b) * a.k + g * kg + k) * ohw + p] = v;
  }
}

// tmp[k][b*ohw + p] = dy[n0 + b, g*kg + k, p]
static __global__ void conv_gather_dy_kernel(Conv2dArgs a, const float* dy, float* tmp, int64_t n0, int64_t nb,
                                             int64_t g) {
  const int64_t kg = a.k / a.groups, ohw = a.oh * a.ow, cols = nb * ohw;
  NN_GRID_STRIDE(t, kg * cols) {
    const int64_t k = t / cols, b = (t % cols) / ohw, p = t % ohw;
    tmp[t] = dy[((n0 + b) * a.k + g * kg + k) * ohw + p];
  }
}

// db[k] = sum over images and positions of dy[n, k, :], one block per channel (double sums).
static __global__ void conv_bias_grad_kernel(Conv2dArgs a, const float* dy, float* db) {
  NN_SHARED(double, smem, [33]);
  const int64_t ohw = a.oh * a.ow, m = a.n * ohw;
  for (int64_t k = blockIdx.x; k < a.k; k += gridDim.x) {
    double acc = 0;
    for (int64_t e = threadIdx.x; e < m; e += blockDim.x) acc += dy[((e / ohw) * a.k + k) * ohw + e % ohw];
    acc = block_reduce(acc, SumOp{}, 0.0, smem);
    if (threadIdx.x == 0) db[k] = static_cast<float>(acc);
  }
}

}  // namespace nn::cuda
