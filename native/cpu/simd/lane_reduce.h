// Row reductions with 16 independent accumulators: they vectorise without -ffast-math (no
// reassociation of one running sum) and give the same result whatever the thread count.
#pragma once
#include <cstdint>

#include "../../kernels/ops.h"

namespace nn {

template <ReduceOp OP>
inline float lane_reduce(const float* x, int64_t n) {
  constexpr int L = 16;
  if (n < L) {
    // Rows shorter than the lanes (10 classes of a softmax) leave every lane but the first at
    // reduce_init, so the tree below combines the running value with reduce_init once per level:
    // the same operations in the same order as the general path, without the 16-lane array.
    float r = reduce_init(OP);
    for (int64_t i = 0; i < n; ++i) r = reduce_combine(OP, r, x[i]);
    for (int w = L / 2; w >= 1; w /= 2) r = reduce_combine(OP, r, reduce_init(OP));
    return r;
  }
  float acc[L];
  for (int j = 0; j < L; ++j) acc[j] = reduce_init(OP);
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int j = 0; j < L; ++j) acc[j] = reduce_combine(OP, acc[j], x[i + j]);
  for (; i < n; ++i) acc[0] = reduce_combine(OP, acc[0], x[i]);
  for (int w = L / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] = reduce_combine(OP, acc[j], acc[j + w]);
  return acc[0];
}

inline float lane_dot(const float* a, const float* b, int64_t n) {
  constexpr int L = 16;
  float acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int j = 0; j < L; ++j) acc[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) acc[0] += a[i] * b[i];
  for (int w = L / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

}  // namespace nn
