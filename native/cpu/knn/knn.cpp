// k-NN building blocks: squared distances through one GEMM, and per-row top-k selection.
#include <algorithm>
#include <vector>

#include "../../core/thread_pool.h"
#include "../cpu_backend.h"
#include "../gemm/gemm.h"

namespace nn {
namespace {

// Squared norms of the rows, accumulated in double: they are added to a GEMM result of the
// same magnitude, so their own rounding should not dominate the cancellation error.
void row_sqnorms(const float* x, int64_t rows, int64_t dim, std::vector<float>& out) {
  out.resize(static_cast<size_t>(rows));
  parallel_for(rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, dim)), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      const float* r = x + i * dim;
      double s = 0;
      for (int64_t j = 0; j < dim; ++j) s += static_cast<double>(r[j]) * r[j];
      out[i] = static_cast<float>(s);
    }
  });
}

struct Entry {
  float v;
  int32_t i;
};

// "a ranks before b" in the output order: by value (NaN counts as the largest value, as in
// torch.topk), then by the lower column index.
template <bool kLargest>
inline bool value_before(float a, float b) {
  if (kLargest) return a > b || (a != a && b == b);
  return a < b || (b != b && a == a);
}

template <bool kLargest>
inline bool ranks_before(const Entry& a, const Entry& b) {
  if (value_before<kLargest>(a.v, b.v)) return true;
  if (value_before<kLargest>(b.v, a.v)) return false;
  return a.i < b.i;
}

// Whether any of the 16 values could enter a top-k whose current worst value is w (w not NaN).
// Written as a branch-free OR over the block so it compiles to packed compares: most blocks of
// a long row hold no candidate and are skipped at memory speed.
template <bool kLargest>
inline bool block_has_candidate(const float* v, float w) {
  int any = 0;
  for (int j = 0; j < 16; ++j) {
    if (kLargest)
      any |= (v[j] > w) | (v[j] != v[j]);  // NaN ranks first when largest
    else
      any |= v[j] < w;
  }
  return any != 0;
}

// Columns are scanned in increasing order, so a new value that only ties the current k-th
// entry has a higher index and never enters: "strictly before" on values is the whole test.
template <bool kLargest>
void topk_small(const float* row, int64_t cols, int64_t k, Entry* buf) {
  int64_t len = 0;
  auto offer = [&](int64_t j) {
    float v = row[j];
    if (len == k && !value_before<kLargest>(v, buf[k - 1].v)) return;
    int64_t pos = len < k ? len++ : k - 1;
    while (pos > 0 && value_before<kLargest>(v, buf[pos - 1].v)) {
      buf[pos] = buf[pos - 1];
      --pos;
    }
    buf[pos] = Entry{v, static_cast<int32_t>(j)};
  };
  int64_t j = 0;
  for (; j < cols && len < k; ++j) offer(j);
  for (; j + 16 <= cols; j += 16) {
    float w = buf[k - 1].v;
    if (w == w && !block_has_candidate<kLargest>(row + j, w)) continue;
    for (int64_t t = j; t < j + 16; ++t) offer(t);
  }
  for (; j < cols; ++j) offer(j);
}

// A heap whose top is the worst of the current k: O(cols log k).
template <bool kLargest>
void topk_heap(const float* row, int64_t cols, int64_t k, Entry* buf) {
  auto cmp = [](const Entry& a, const Entry& b) { return ranks_before<kLargest>(a, b); };
  for (int64_t j = 0; j < k; ++j) buf[j] = Entry{row[j], static_cast<int32_t>(j)};
  std::make_heap(buf, buf + k, cmp);
  auto offer = [&](int64_t j) {
    float v = row[j];
    if (!value_before<kLargest>(v, buf[0].v)) return;
    std::pop_heap(buf, buf + k, cmp);
    buf[k - 1] = Entry{v, static_cast<int32_t>(j)};
    std::push_heap(buf, buf + k, cmp);
  };
  int64_t j = k;
  for (; j + 16 <= cols; j += 16) {
    float w = buf[0].v;
    if (w == w && !block_has_candidate<kLargest>(row + j, w)) continue;
    for (int64_t t = j; t < j + 16; ++t) offer(t);
  }
  for (; j < cols; ++j) offer(j);
  std::sort_heap(buf, buf + k, cmp);
}

template <bool kLargest>
void topk_rows(const float* x, float* values, int32_t* indices, int64_t rows, int64_t cols, int64_t k) {
  constexpr int64_t kSmallK = 16;  // insertion into a sorted buffer beats a heap below this
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)), [&](int64_t lo, int64_t hi) {
    std::vector<Entry> buf(static_cast<size_t>(k));
    for (int64_t r = lo; r < hi; ++r) {
      const float* row = x + r * cols;
      if (k <= kSmallK)
        topk_small<kLargest>(row, cols, k, buf.data());
      else
        topk_heap<kLargest>(row, cols, k, buf.data());
      for (int64_t j = 0; j < k; ++j) {
        values[r * k + j] = buf[j].v;
        indices[r * k + j] = buf[j].i;
      }
    }
  });
}

}  // namespace

void CpuBackend::pairwise_sqdist(const float* a, const float* b, float* d, int64_t m, int64_t n, int64_t dim) {
  if (m == 0 || n == 0) return;
  if (dim == 0) {
    fill_f32(d, m * n, 0.f);
    return;
  }
  std::vector<float> na, nb;
  row_sqnorms(a, m, dim, na);
  row_sqnorms(b, n, dim, nb);
  GemmArgs g = sqdist_gemm_args(m, n, dim);
  cpu::sgemm(g, a, b, d);
  parallel_for(m, std::max<int64_t>(1, 16384 / n), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      float* row = d + i * n;
      const float ai = na[i];
      const float* bn = nb.data();
      for (int64_t j = 0; j < n; ++j) {
        float v = (ai + bn[j]) + row[j];
        row[j] = v < 0.f ? 0.f : v;  // cancellation can go slightly negative; NaN stays NaN
      }
    }
  });
}

void CpuBackend::topk(const float* x, float* values, int32_t* indices, int64_t rows, int64_t cols, int64_t k,
                      bool largest) {
  if (rows == 0 || k == 0) return;
  if (largest)
    topk_rows<true>(x, values, indices, rows, cols, k);
  else
    topk_rows<false>(x, values, indices, rows, cols, k);
}

}  // namespace nn
