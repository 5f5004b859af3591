// The k-NN building blocks: row norms, the distance epilogue of a GEMM, top-k and exact k-NN.
#pragma once
#include <cstdint>

#include "../../native/backend.h"
#include "common.cuh"

namespace nn::cuda {

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
struct TopkBefore {
  bool largest;
  NN_DEVICE bool operator()(float a, float b) const { return topk_before(a, b, largest); }
};
struct Smaller {
  NN_DEVICE bool operator()(int32_t a, int32_t b) const { return a < b; }
};

// Offers (v, j) to a row of at most k (value, index) entries kept sorted by `before`, of which len
// are filled: v enters only when it ranks before the current k-th, so a tie with it loses to the
// lower index seen earlier.
template <class T, class Before>
NN_DEVICE void offer_ranked(T* bv, int32_t* bi, int64_t& len, int64_t k, T v, int64_t j, Before before) {
  if (len == k && !before(v, bv[k - 1])) return;
  int64_t pos = len < k ? len++ : k - 1;
  while (pos > 0 && before(v, bv[pos - 1])) {
    bv[pos] = bv[pos - 1];
    bi[pos] = bi[pos - 1];
    --pos;
  }
  bv[pos] = v;
  bi[pos] = static_cast<int32_t>(j);
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
    for (int64_t j = 0; j < cols; ++j) offer_ranked(bv, bi, len, k, row[j], j, TopkBefore{largest});
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
      offer_ranked(bd, bi, len, k, d, j, Smaller{});
    }
  }
}

}  // namespace nn::cuda
