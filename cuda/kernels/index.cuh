// Index ops on x viewed as [outer, dim, inner] (indices range-checked by the binding), the
// fused optimizer updates, and the k-NN helpers.
// The accumulating ops (index_add, scatter_add) give each thread one (outer, column) slice of
// the destination and walk j in order: duplicate indices add up in the CPU's order, without
// atomics, and no two threads write the same element.
#pragma once
#include <cstdint>

#include "../../native/backend.h"
#include "../../native/kernels/optim.h"
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

// The fused optimizer steps update every parameter tensor of a call in one launch: the host
// uploads a table of the non-empty tensors with their first element in the flattened range
// [0, total), and each thread finds the tensor of its element by binary search (a few steps
// for a model's few dozen tensors; the table stays in cache).
struct OptimSlot {
  float* p;
  const float* g;
  float* m;  // SGD momentum buffer / Adam first moment
  float* v;  // Adam second moment
  int64_t start;
};

// The last slot whose start is <= i (starts strictly increase: empty tensors are left out).
NN_DEVICE const OptimSlot& slot_of(const OptimSlot* slots, int64_t nslots, int64_t i) {
  int64_t lo = 0, hi = nslots - 1;
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (slots[mid].start <= i) lo = mid;
    else hi = mid - 1;
  }
  return slots[lo];
}

static __global__ void sgd_kernel(const OptimSlot* slots, int64_t nslots, int64_t total, float lr, float momentum,
                                  float dampening, float wd, bool nesterov, bool first_step) {
  NN_GRID_STRIDE(i, total) {
    const OptimSlot& s = slot_of(slots, nslots, i);
    const int64_t j = i - s.start;
    // With momentum 0 the buffer is neither read nor written (it may be absent).
    sgd_update(s.p[j], s.g[j], momentum != 0.f ? s.m + j : nullptr, lr, momentum, dampening, wd, nesterov, first_step);
  }
}

static __global__ void adam_kernel(const OptimSlot* slots, int64_t nslots, int64_t total, float beta1, float beta2,
                                   float eps, float wd, bool decoupled, AdamCoeffs c) {
  NN_GRID_STRIDE(i, total) {
    const OptimSlot& s = slot_of(slots, nslots, i);
    const int64_t j = i - s.start;
    adam_update(s.p[j], s.g[j], s.m[j], s.v[j], beta1, beta2, eps, wd, decoupled, c);
  }
}

// Squared norms of rows, accumulated in double (they meet a GEMM result of the same size, so
// their own rounding should not dominate the cancellation error).
static __global__ void row_sqnorms_kernel(const float* x, float* out, int64_t rows, int64_t dim) {
  NN_GRID_STRIDE(r, rows) {
    const float* row = x + r * dim;
    double s = 0;
    for (int64_t j = 0; j < dim; ++j) s += static_cast<double>(row[j]) * row[j];
    out[r] = static_cast<float>(s);
  }
}

// d[i, j] = max(0, (|a_i|^2 + |b_j|^2) + d[i, j]) where d holds -2 a.b; NaN stays NaN.
static __global__ void sqdist_finish_kernel(float* d, const float* na, const float* nb, int64_t m, int64_t n) {
  NN_GRID_STRIDE(t, m * n) {
    float v = (na[t / n] + nb[t % n]) + d[t];
    d[t] = v < 0.f ? 0.f : v;
  }
}

// "a ranks before b": by value (NaN counts as the largest, as torch.topk).
NN_DEVICE bool topk_before(float a, float b, bool largest) {
  if (largest) return a > b || (a != a && b == b);
  return a < b || (b != b && a == a);
}

// One thread per row keeps its output row sorted by insertion while it scans the columns in
// order; a value that only ties the current k-th has a higher index and never enters, which
// breaks ties by the lower index as the CPU backend does.
static __global__ void topk_kernel(const float* x, float* values, int32_t* indices, int64_t rows, int64_t cols,
                                   int64_t k, bool largest) {
  NN_GRID_STRIDE(r, rows) {
    const float* row = x + r * cols;
    float* bv = values + r * k;
    int32_t* bi = indices + r * k;
    int64_t len = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const float v = row[j];
      if (len == k && !topk_before(v, bv[k - 1], largest)) continue;
      int64_t pos = len < k ? len++ : k - 1;
      while (pos > 0 && topk_before(v, bv[pos - 1], largest)) {
        bv[pos] = bv[pos - 1];
        bi[pos] = bi[pos - 1];
        --pos;
      }
      bv[pos] = v;
      bi[pos] = static_cast<int32_t>(j);
    }
  }
}

// Exact k-NN by exhaustive search, one thread per query: integer squared distances, the output
// row kept sorted by (distance, train index) by insertion while the train rows are scanned in
// order, so a later row that only ties the k-th never enters (the lower index wins, as on the CPU).
static __global__ void knn_exact_kernel(const uint8_t* train, const uint8_t* queries, int32_t* idx, int32_t* dist,
                                        int64_t n, int64_t m, int64_t dim, int64_t k) {
  NN_GRID_STRIDE(q, m) {
    const uint8_t* x = queries + q * dim;
    int32_t* bi = idx + q * k;
    int32_t* bd = dist + q * k;
    int64_t len = 0;
    for (int64_t j = 0; j < n; ++j) {
      const uint8_t* y = train + j * dim;
      int32_t d = 0;
      for (int64_t c = 0; c < dim; ++c) {
        const int32_t t = static_cast<int32_t>(x[c]) - static_cast<int32_t>(y[c]);
        d += t * t;
      }
      if (len == k && d >= bd[k - 1]) continue;
      int64_t pos = len < k ? len++ : k - 1;
      while (pos > 0 && d < bd[pos - 1]) {
        bd[pos] = bd[pos - 1];
        bi[pos] = bi[pos - 1];
        --pos;
      }
      bd[pos] = d;
      bi[pos] = static_cast<int32_t>(j);
    }
  }
}

}  // namespace nn::cuda
