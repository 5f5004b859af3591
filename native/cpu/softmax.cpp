// Softmax, log-softmax and fused cross-entropy. Numerically stable: every exponent is x - max,
// so exp never overflows, and log-softmax is (x - max) - log(sum) rather than log(softmax).
// The contiguous last-axis case (inner == 1) is the hot path: each pass over a row is a
// vectorisable loop (exp_nonpos has no libm call).
#include <algorithm>
#include <cmath>

#include "../core/error.h"
#include "../core/thread_pool.h"
#include "../kernels/softmax.h"
#include "cpu_backend.h"
#include "simd/lane_reduce.h"

namespace nn {
namespace {

constexpr int64_t kGrain = 1 << 14;
constexpr int64_t kColChunk = 256;

int64_t row_grain(int64_t dim) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(dim, 1)); }

void softmax_row(const float* x, float* y, int64_t dim, bool log) {
  const float m = lane_reduce<ReduceOp::Max>(x, dim);
  for (int64_t j = 0; j < dim; ++j) y[j] = exp_nonpos(x[j] - m);
  const float s = lane_reduce<ReduceOp::Sum>(y, dim);
  if (log) {
    const float ls = logf(s);
    for (int64_t j = 0; j < dim; ++j) y[j] = (x[j] - m) - ls;
  } else {
    const float inv = 1.f / s;
    for (int64_t j = 0; j < dim; ++j) y[j] *= inv;
  }
}

// x viewed as [dim, inner] for one outer index, columns [i0, i0 + w).
void softmax_cols(const float* x, float* y, int64_t dim, int64_t inner, int64_t w, bool log) {
  float m[kColChunk], s[kColChunk];
  for (int64_t i = 0; i < w; ++i) m[i] = -INFINITY, s[i] = 0.f;
  for (int64_t d = 0; d < dim; ++d)
    for (int64_t i = 0; i < w; ++i) m[i] = reduce_combine(ReduceOp::Max, m[i], x[d * inner + i]);
  for (int64_t d = 0; d < dim; ++d) {
    const float* xr = x + d * inner;
    float* yr = y + d * inner;
    if (log) {
      for (int64_t i = 0; i < w; ++i) s[i] += exp_nonpos(xr[i] - m[i]);
    } else {
      for (int64_t i = 0; i < w; ++i) {
        const float e = exp_nonpos(xr[i] - m[i]);
        yr[i] = e;
        s[i] += e;
      }
    }
  }
  if (log) {
    for (int64_t i = 0; i < w; ++i) s[i] = logf(s[i]);
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < w; ++i) y[d * inner + i] = (x[d * inner + i] - m[i]) - s[i];
  } else {
    for (int64_t i = 0; i < w; ++i) s[i] = 1.f / s[i];
    for (int64_t d = 0; d < dim; ++d)
      for (int64_t i = 0; i < w; ++i) y[d * inner + i] *= s[i];
  }
}

// softmax: dx = y * (dy - sum(dy * y)); log-softmax: dx = dy - exp(y) * sum(dy).
void softmax_backward_row(const float* y, const float* dy, float* dx, int64_t dim, bool log) {
  if (log) {
    const float s = lane_reduce<ReduceOp::Sum>(dy, dim);
    for (int64_t j = 0; j < dim; ++j) dx[j] = dy[j] - exp_nonpos(y[j]) * s;
  } else {
    const float dot = lane_dot(y, dy, dim);
    for (int64_t j = 0; j < dim; ++j) dx[j] = y[j] * (dy[j] - dot);
  }
}

void softmax_backward_cols(const float* y, const float* dy, float* dx, int64_t dim, int64_t inner, int64_t w,
                           bool log) {
  float s[kColChunk];
  for (int64_t i = 0; i < w; ++i) s[i] = 0.f;
  for (int64_t d = 0; d < dim; ++d)
    for (int64_t i = 0; i < w; ++i) s[i] += log ? dy[d * inner + i] : dy[d * inner + i] * y[d * inner + i];
  for (int64_t d = 0; d < dim; ++d)
    for (int64_t i = 0; i < w; ++i) {
      const int64_t k = d * inner + i;
      dx[k] = log ? dy[k] - exp_nonpos(y[k]) * s[i] : y[k] * (dy[k] - s[i]);
    }
}

// Runs fn(o, i0, w) over every (outer index, column chunk) pair.
template <typename F>
void for_col_chunks(int64_t outer, int64_t dim, int64_t inner, const F& fn) {
  const int64_t nchunks = (inner + kColChunk - 1) / kColChunk;
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, dim * std::min(inner, kColChunk)));
  parallel_for(outer * nchunks, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t o = t / nchunks, i0 = (t % nchunks) * kColChunk;
      fn(o, i0, std::min(kColChunk, inner - i0));
    }
  });
}

}  // namespace

void CpuBackend::softmax(const float* x, float* y, int64_t outer, int64_t dim, int64_t inner, bool log) {
  if (outer * dim * inner == 0) return;
  if (inner == 1) {
    parallel_for(outer, row_grain(dim), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) softmax_row(x + o * dim, y + o * dim, dim, log);
    });
    return;
  }
  for_col_chunks(outer, dim, inner, [&](int64_t o, int64_t i0, int64_t w) {
    const int64_t base = o * dim * inner + i0;
    softmax_cols(x + base, y + base, dim, inner, w, log);
  });
}

void CpuBackend::softmax_backward(const float* y, const float* dy, float* dx, int64_t outer, int64_t dim, int64_t inner,
                                  bool log) {
  if (outer * dim * inner == 0) return;
  if (inner == 1) {
    parallel_for(outer, row_grain(dim), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) softmax_backward_row(y + o * dim, dy + o * dim, dx + o * dim, dim, log);
    });
    return;
  }
  for_col_chunks(outer, dim, inner, [&](int64_t o, int64_t i0, int64_t w) {
    const int64_t base = o * dim * inner + i0;
    softmax_backward_cols(y + base, dy + base, dx + base, dim, inner, w, log);
  });
}

void CpuBackend::cross_entropy_forward(const float* logits, const int32_t* labels, float* losses, float* probs,
                                       int64_t n, int64_t c, float label_smoothing) {
  if (n == 0) return;
  parallel_for(n, row_grain(c), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const float* x = logits + r * c;
      float* p = probs + r * c;
      const float m = lane_reduce<ReduceOp::Max>(x, c);
      const float mn = lane_reduce<ReduceOp::Min>(x, c);
      const bool finite = std::isfinite(m) && std::isfinite(mn);  // max/min propagate NaN
      for (int64_t j = 0; j < c; ++j) p[j] = exp_nonpos(x[j] - m);
      const float s = lane_reduce<ReduceOp::Sum>(p, c);
      const float inv = 1.f / s;
      for (int64_t j = 0; j < c; ++j) p[j] *= inv;
      const float sum_x = label_smoothing != 0.f ? lane_reduce<ReduceOp::Sum>(x, c) : 0.f;
      losses[r] = cross_entropy_row_loss(m, logf(s), x[labels[r]], sum_x, c, label_smoothing, finite);
    }
  });
}

void CpuBackend::cross_entropy_backward(const float* probs, const int32_t* labels, const float* dloss, float* dlogits,
                                        int64_t n, int64_t c, float label_smoothing) {
  if (n == 0) return;
  parallel_for(n, row_grain(c), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const float* p = probs + r * c;
      float* g = dlogits + r * c;
      const float d = dloss[r];
      for (int64_t j = 0; j < c; ++j) g[j] = d * cross_entropy_grad(p[j], false, c, label_smoothing);
      const int32_t l = labels[r];
      g[l] = d * cross_entropy_grad(p[l], true, c, label_smoothing);
    }
  });
}

}  // namespace nn
