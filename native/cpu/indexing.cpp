// Index ops on x viewed as [outer, dim, inner]. Indices were range-checked by the binding.
// The accumulating ops (index_add, scatter_add) give each task whole (outer, column) slices of
// the destination and walk j in order, so duplicate indices add up deterministically and no
// two threads ever write the same element.
#include <algorithm>
#include <cstring>

#include "../core/thread_pool.h"
#include "cpu_backend.h"

namespace nn {
namespace {

constexpr int64_t kColChunk = 1024;

// Runs fn(o, i0, i1) over every (outer index, column chunk) pair.
template <typename F>
void for_col_chunks(int64_t outer, int64_t inner, int64_t work_per_col, const F& fn) {
  const int64_t nchunks = (inner + kColChunk - 1) / kColChunk;
  const int64_t cols = std::min(inner, kColChunk);
  const int64_t grain = grain_for_bytes(12 * cols * work_per_col);
  parallel_for(outer * nchunks, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / nchunks, i0 = (t % nchunks) * kColChunk;
      fn(o, i0, std::min(inner, i0 + kColChunk));
    }
  });
}

// Asks for every cache line of a row of n floats (a hint: no fault, no effect on results).
inline void prefetch_row(const float* p, int64_t n) {
  const char* c = reinterpret_cast<const char*>(p);
  for (int64_t b = 0; b < n * static_cast<int64_t>(sizeof(float)); b += 64) __builtin_prefetch(c + b);
}

}  // namespace

void CpuBackend::index_select(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner,
                              int64_t nidx) {
  const int64_t rows = outer * nidx;
  parallel_for(rows, grain_for_bytes(8 * inner), [=](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t o = r / nidx, j = r % nidx;
      // Rows picked at random from a large tensor (a shuffled mini-batch) miss the cache at each
      // row's start: asking for the next row while this one is copied overlaps those misses.
      if (r + 1 < hi) prefetch_row(x + ((r + 1) / nidx * dim + idx[(r + 1) % nidx]) * inner, inner);
      std::memcpy(out + r * inner, x + (o * dim + idx[j]) * inner, static_cast<size_t>(inner) * sizeof(float));
    }
  });
}

void CpuBackend::index_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim, int64_t inner,
                           int64_t nidx) {
  for_col_chunks(outer, inner, nidx, [=](int64_t o, int64_t i0, int64_t i1) {
    for (int64_t j = 0; j < nidx; ++j) {
      const float* src = dout + (o * nidx + j) * inner;
      float* dst = dx + (o * dim + idx[j]) * inner;
      for (int64_t i = i0; i < i1; ++i) dst[i] += src[i];
    }
  });
}

void CpuBackend::gather(const float* x, const int32_t* idx, float* out, int64_t outer, int64_t dim, int64_t inner,
                        int64_t nj) {
  const int64_t rows = outer * nj;
  parallel_for(rows, grain_for_bytes(12 * inner), [=](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t o = r / nj;
      const float* src = x + o * dim * inner;
      const int32_t* ix = idx + r * inner;
      float* dst = out + r * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] = src[static_cast<int64_t>(ix[i]) * inner + i];
    }
  });
}

void CpuBackend::scatter_add(const float* dout, const int32_t* idx, float* dx, int64_t outer, int64_t dim,
                             int64_t inner, int64_t nj) {
  for_col_chunks(outer, inner, nj, [=](int64_t o, int64_t i0, int64_t i1) {
    float* dst = dx + o * dim * inner;
    for (int64_t j = 0; j < nj; ++j) {
      const float* src = dout + (o * nj + j) * inner;
      const int32_t* ix = idx + (o * nj + j) * inner;
      for (int64_t i = i0; i < i1; ++i) dst[static_cast<int64_t>(ix[i]) * inner + i] += src[i];
    }
  });
}

void CpuBackend::one_hot(const int32_t* labels, float* out, int64_t n, int64_t classes) {
  parallel_for(n, grain_for_bytes(4 * classes + 4), [=](int64_t lo, int64_t hi) {
    std::memset(out + lo * classes, 0, static_cast<size_t>((hi - lo) * classes) * sizeof(float));
    for (int64_t r = lo; r < hi; ++r) out[r * classes + labels[r]] = 1.f;
  });
}

}  // namespace nn
