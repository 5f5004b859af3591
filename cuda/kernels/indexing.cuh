// Index ops on x viewed as [outer, dim, inner] (indices range-checked by the binding).
// The accumulating ops (index_add, scatter_add) give each thread one (outer, column) slice of
// the destination and walk j in order: duplicate indices add up in the CPU's order, without
// atomics, and no two threads write the same element.
#pragma once
#include <cstdint>

#include "../../native/backend.h"
#include "common.cuh"

namespace nn::cuda {

static __global__ void index_select_kernel(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim,
                                           int64_t inner, int64_t nidx) {
  NN_GRID_STRIDE(t, outer * nidx * inner) {
    const int64_t i = t % inner, j = (t / inner) % nidx, o = t / (inner * nidx);
    out[t] = x[(o * dim + idx[j]) * inner + i];
  }
}

static __global__ void index_add_kernel(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim,
                                        int64_t inner, int64_t nidx) {
  NN_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    for (int64_t j = 0; j < nidx; ++j) dx[(o * dim + idx[j]) * inner + i] += dout[(o * nidx + j) * inner + i];
  }
}

static __global__ void gather_kernel(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim,
                                     int64_t inner, int64_t nj) {
  NN_GRID_STRIDE(t, outer * nj * inner) {
    const int64_t i = t % inner, o = t / (inner * nj);
    out[t] = x[(o * dim + idx[t]) * inner + i];
  }
}

static __global__ void scatter_add_kernel(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim,
                                          int64_t inner, int64_t nj) {
  NN_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    float* dst = dx + o * dim * inner;
    for (int64_t j = 0; j < nj; ++j) {
      const int64_t k = (o * nj + j) * inner + i;
      dst[static_cast<int64_t>(idx[k]) * inner + i] += dout[k];
    }
  }
}

static __global__ void one_hot_kernel(const int32_t* labels, float* out, int64_t n, int64_t classes) {
  NN_GRID_STRIDE(i, n * classes) out[i] = labels[i / classes] == static_cast<int32_t>(i % classes) ? 1.f : 0.f;
}

}  // namespace nn::cuda
