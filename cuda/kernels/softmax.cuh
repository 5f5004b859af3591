// Softmax / log-softmax and the fused softmax + cross-entropy, over the middle axis of
// [outer, dim, inner] as the reductions (reduce.cuh).
#pragma once
#include <cstdint>

#include "../../native/kernels/softmax.h"
#include "reduce.cuh"

namespace nn::cuda {

// ---- softmax family

static __global__ void softmax_rows_kernel(const float* x, float* y, int64_t outer, int64_t dim, bool log) {
  NN_SHARED(float, smem, [33]);
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const float* xr = x + o * dim;
    float* yr = y + o * dim;
    const float m = row_reduce(xr, dim, MaxOp{}, -INFINITY, smem);
    float s = 0.f;
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) {
      float e = exp_nonpos(xr[j] - m);
      if (!log) yr[j] = e;
      s += e;
    }
    s = block_reduce(s, SumOp{}, 0.f, smem);
    if (log) {
      const float ls = logf(s);
      for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) yr[j] = (xr[j] - m) - ls;
    } else {
      const float inv = 1.f / s;
      for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) yr[j] *= inv;
    }
  }
}

static __global__ void softmax_cols_kernel(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner,
                                           bool log) {
  NN_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const float* xb = x + o * dim * inner + i;
    float* yb = y + o * dim * inner + i;
    float m = -INFINITY, s = 0.f;
    for (int64_t d = 0; d < dim; ++d) m = reduce_combine(ReduceOp::Max, m, xb[d * inner]);
    for (int64_t d = 0; d < dim; ++d) {
      float e = exp_nonpos(xb[d * inner] - m);
      if (!log) yb[d * inner] = e;
      s += e;
    }
    if (log) {
      const float ls = logf(s);
      for (int64_t d = 0; d < dim; ++d) yb[d * inner] = (xb[d * inner] - m) - ls;
    } else {
      const float inv = 1.f / s;
      for (int64_t d = 0; d < dim; ++d) yb[d * inner] *= inv;
    }
  }
}

// softmax: dx = y * (dy - sum(dy * y)); log-softmax: dx = dy - exp(y) * sum(dy).
static __global__ void softmax_backward_rows_kernel(const float* y, const float* dy, float* dx, int64_t outer,
                                                    int64_t dim, bool log) {
  NN_SHARED(float, smem, [33]);
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const float* yr = y + o * dim;
    const float* gr = dy + o * dim;
    float* dr = dx + o * dim;
    float s = 0.f;
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) s += log ? gr[j] : gr[j] * yr[j];
    s = block_reduce(s, SumOp{}, 0.f, smem);
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x)
      dr[j] = log ? gr[j] - exp_nonpos(yr[j]) * s : yr[j] * (gr[j] - s);
  }
}

static __global__ void softmax_backward_cols_kernel(const float* y, const float* dy, float* dx, int64_t outer,
                                                    int64_t dim, int64_t inner, bool log) {
  NN_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const int64_t base = o * dim * inner + i;
    float s = 0.f;
    for (int64_t d = 0; d < dim; ++d) {
      const int64_t k = base + d * inner;
      s += log ? dy[k] : dy[k] * y[k];
    }
    for (int64_t d = 0; d < dim; ++d) {
      const int64_t k = base + d * inner;
      dx[k] = log ? dy[k] - exp_nonpos(y[k]) * s : y[k] * (dy[k] - s);
    }
  }
}

// Fused softmax + cross-entropy, one block per sample row.
static __global__ void cross_entropy_forward_kernel(const float* logits, const int32_t* labels, float* losses,
                                                    float* probs, int64_t n, int64_t c, float ls) {
  NN_SHARED(float, smem, [33]);
  for (int64_t r = blockIdx.x; r < n; r += gridDim.x) {
    const float* x = logits + r * c;
    float* p = probs + r * c;
    const float m = row_reduce(x, c, MaxOp{}, -INFINITY, smem);
    const float mn = row_reduce(x, c, MinOp{}, INFINITY, smem);
    const bool finite = (m - m == 0.f) && (mn - mn == 0.f);  // max/min propagate NaN
    float s = 0.f;
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
      float e = exp_nonpos(x[j] - m);
      p[j] = e;
      s += e;
    }
    s = block_reduce(s, SumOp{}, 0.f, smem);
    const float inv = 1.f / s;
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x) p[j] *= inv;
    float sum_x = 0.f;
    if (ls != 0.f) sum_x = row_reduce(x, c, SumOp{}, 0.f, smem);
    if (threadIdx.x == 0) losses[r] = cross_entropy_row_loss(m, logf(s), x[labels[r]], sum_x, c, ls, finite);
  }
}

static __global__ void cross_entropy_backward_kernel(const float* probs, const int32_t* labels, const float* dloss,
                                                     float* dlogits, int64_t n, int64_t c, float ls) {
  NN_GRID_STRIDE(t, n * c) {
    const int64_t r = t / c, j = t % c;
    dlogits[t] = dloss[r] * cross_entropy_grad(probs[t], labels[r] == static_cast<int32_t>(j), c, ls);
  }
}

}  // namespace nn::cuda
